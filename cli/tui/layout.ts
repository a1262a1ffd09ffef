/** The smallest terminal the panels fit in. */
export const MIN_COLUMNS = 100;
export const MIN_ROWS = 30;

/** Sizes of the panels for a terminal (heights in rows, widths in columns). */
export interface Layout {
  columns: number;
  /** Rows drawn: one less than the terminal's, so ink never scrolls or clears the screen. */
  rows: number;
  topHeight: number;
  topologyWidth: number;
  bindingsWidth: number;
  flowsHeight: number;
  eventsHeight: number;
  /** Rows below the top panels that a dialog may take over (status row, flows, events). */
  bottomHeight: number;
}

const HEADER = 1;
/** Capture status, scenario status. */
const STATUS_ROWS = 2;
const FOOTER = 2;

/** The layout for a terminal, or undefined when it is smaller than MIN_COLUMNS x MIN_ROWS. */
export function layoutFor(size: { columns: number; rows: number }): Layout | undefined {
  if (size.columns < MIN_COLUMNS || size.rows < MIN_ROWS) return undefined;
  const rows = size.rows - 1;
  const topHeight = size.rows >= 40 ? 14 : 10;
  const flowsHeight = size.rows >= 40 ? 8 : 6;
  const eventsHeight = rows - HEADER - topHeight - STATUS_ROWS - flowsHeight - FOOTER;
  const topologyWidth = Math.floor(size.columns * 0.51);
  return {
    columns: size.columns,
    rows,
    topHeight,
    topologyWidth,
    bindingsWidth: size.columns - topologyWidth,
    flowsHeight,
    eventsHeight,
    bottomHeight: STATUS_ROWS + flowsHeight + eventsHeight,
  };
}
