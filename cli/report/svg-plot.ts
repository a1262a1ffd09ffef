/**
 * Dependency-free SVG plots for reports, shaped for the classic handover figure
 * (sequence number against receive time): axes with 1-2-5 ticks, a legend, dotted or
 * line series, and vertical markers (handover, signalling, step) whose labels are
 * staggered on rows so they do not overlap. Dense series are decimated per pixel
 * column (first, min, max and last point of each column), which keeps what is drawn.
 * All text is XML-escaped; the output depends only on the input.
 */

/** A point: [x, y]. */
export type PlotPoint = readonly [number, number];

/** One data series. */
export interface PlotSeries {
  /** Legend text. */
  name: string;
  /** Points in any order for dots; in x order for lines. Non-finite points are skipped. */
  points: readonly PlotPoint[];
  /** Dots (scatter) or a polyline. */
  style: 'dots' | 'line';
  /** CSS colour; default from a fixed palette. */
  color?: string;
  /** Draw a line dashed (an expectation next to a measurement). */
  dashed?: boolean;
}

/** A vertical line at an x value. */
export interface PlotMarker {
  /** Where, in data units. */
  x: number;
  /** Label drawn at the top of the line. */
  label: string;
  /** Kind; decides colour and dash. */
  kind: 'handover' | 'signalling' | 'step';
}

/** Everything a plot shows. */
export interface PlotSpec {
  /** Title above the plot. */
  title: string;
  /** X axis label. */
  xLabel: string;
  /** Y axis label. */
  yLabel: string;
  /** Data series. */
  series: readonly PlotSeries[];
  /** Vertical markers. */
  markers?: readonly PlotMarker[];
  /** Width in pixels (default 800). */
  width?: number;
  /** Height in pixels (default 450). */
  height?: number;
  /** Series with more points than this are decimated (default 20000). */
  decimateAbove?: number;
}

/** Ticks of an axis. */
export interface AxisTicks {
  /** Tick values, ascending, first ≤ min and last ≥ max. */
  values: number[];
  /** Distance between ticks (1, 2 or 5 × 10^k). */
  step: number;
  /** Decimals needed to print a tick. */
  decimals: number;
}

/** The series colours, in order (a series without its own colour takes the one of its index). */
export const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#17becf'];
const MARKER_STYLE: Record<PlotMarker['kind'], { color: string; dash: string }> = {
  handover: { color: '#d62728', dash: '6 3' },
  signalling: { color: '#7f7f7f', dash: '2 3' },
  step: { color: '#2ca02c', dash: '4 2 1 2' },
};
const FONT = 'font-family="sans-serif"';
const CHAR_W = 7.6; // generous average glyph width at 11px (DejaVu Sans, arrows): labels must not touch
const LABEL_ROW_H = 14;
const MAX_LABEL_ROWS = 4;

/** Escapes text for XML content and attribute values; drops characters XML cannot hold. */
export function escapeXml(text: string): string {
  return text
    .replace(/[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]/gu, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

/** Ticks covering [min, max] with a 1-2-5 step giving about `target` intervals. */
export function niceTicks(min: number, max: number, target = 6): AxisTicks {
  if (!(max > min)) {
    const c = Number.isFinite(min) ? min : 0;
    const half = c === 0 ? 1 : Math.abs(c) * 0.1;
    [min, max] = [c - half, c + half];
  }
  const raw = (max - min) / Math.max(1, target);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const f = raw / mag;
  const step = (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * mag;
  const first = Math.floor(min / step + 1e-9);
  const last = Math.ceil(max / step - 1e-9);
  const decimals = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
  const values: number[] = [];
  for (let k = first; k <= last; k++) values.push(Number((k * step).toFixed(decimals)));
  return { values, step, decimals };
}

/**
 * Keeps the first, lowest, highest and last point of every one of `columns` equal
 * x-columns over [x0, x1] (in x order), so a plot drawn from the result looks the same.
 */
export function decimateMinMax(points: readonly PlotPoint[], x0: number, x1: number, columns: number): PlotPoint[] {
  const n = Math.max(1, Math.floor(columns));
  const span = x1 - x0 || 1;
  const first = new Int32Array(n).fill(-1);
  const last = new Int32Array(n).fill(-1);
  const lo = new Int32Array(n).fill(-1);
  const hi = new Int32Array(n).fill(-1);
  for (let i = 0; i < points.length; i++) {
    const [x, y] = points[i] as PlotPoint;
    if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
    const c = Math.min(n - 1, Math.max(0, Math.floor(((x - x0) / span) * n)));
    if (first[c] === -1) {
      first[c] = lo[c] = hi[c] = i;
    } else {
      if (y < (points[lo[c] as number] as PlotPoint)[1]) lo[c] = i;
      if (y > (points[hi[c] as number] as PlotPoint)[1]) hi[c] = i;
    }
    last[c] = i;
  }
  const keep: number[] = [];
  for (let c = 0; c < n; c++) {
    if (first[c] === -1) continue;
    const idx = [first[c], lo[c], hi[c], last[c]] as number[];
    idx.sort((a, b) => a - b);
    for (let k = 0; k < 4; k++) if (k === 0 || idx[k] !== idx[k - 1]) keep.push(idx[k] as number);
  }
  keep.sort((a, b) => {
    const d = (points[a] as PlotPoint)[0] - (points[b] as PlotPoint)[0];
    return d !== 0 ? d : a - b;
  });
  return keep.map((i) => points[i] as PlotPoint);
}

/** Number text for coordinates: one decimal, no trailing ".0", never "-0". */
const px = (v: number): string => {
  const r = Math.round(v * 10) / 10;
  return (r === 0 ? 0 : r).toString();
};

const tickText = (v: number, decimals: number): string => {
  const t = v.toFixed(decimals);
  return /^-0(\.0*)?$/.test(t) ? t.slice(1) : t;
};

interface Frame {
  left: number;
  top: number;
  width: number;
  height: number;
  sx: (x: number) => number;
  sy: (y: number) => number;
}

/** Renders the plot as a standalone SVG document. */
export function renderSvgPlot(spec: PlotSpec): string {
  const width = spec.width ?? 800;
  const height = spec.height ?? 450;
  const markers = [...(spec.markers ?? [])].filter((m) => Number.isFinite(m.x)).sort((a, b) => a.x - b.x);
  const [xMin, xMax, yMin, yMax] = extent(spec.series, markers);
  const legendW = spec.series.length ? Math.ceil(Math.max(...spec.series.map((s) => s.name.length)) * CHAR_W) + 40 : 20;
  const [x0, x1, xt] = axisDomain(xMin, xMax, Math.max(2, Math.round(width / 110)));
  const [y0, y1, yt] = axisDomain(yMin, yMax, Math.max(2, Math.round(height / 70)));
  const left = 70;
  const w = Math.max(10, width - left - legendW);
  const sx = (x: number): number => left + ((x - x0) / (x1 - x0)) * w;
  const spans = markers.map((m) => labelSpan(m, sx(m.x), left + w));
  const places = staggerLabels(spans);
  const rows = places.reduce((m, p) => Math.max(m, p.row + 1), 0);
  const top = 40 + rows * LABEL_ROW_H;
  const h = Math.max(10, height - top - 50);
  const f: Frame = { left, top, width: w, height: h, sx, sy: (y) => top + h - ((y - y0) / (y1 - y0)) * h };
  const clipId = `plot-${hash(`${spec.title}|${width}|${height}`)}`;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`,
    `<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${px(width / 2)}" y="20" text-anchor="middle" ${FONT} font-size="15" font-weight="bold">${escapeXml(spec.title)}</text>`,
  ];
  out.push(...axes(f, xt, yt, spec.xLabel, spec.yLabel));
  out.push(`<clipPath id="${clipId}"><rect x="${px(left)}" y="${px(top)}" width="${px(w)}" height="${px(h)}"/></clipPath>`);
  out.push(`<g clip-path="url(#${clipId})">`);
  spec.series.forEach((s, i) => out.push(seriesPath(s, PALETTE[i % PALETTE.length] as string, f, x0, x1, spec.decimateAbove ?? 20000)));
  out.push('</g>');
  out.push(...markerLines(markers, spans, places, f));
  out.push(...legend(spec.series, left + w + 14, top));
  out.push('</svg>');
  return out.join('\n') + '\n';
}

/** Axis range: the data range padded by 2 % (or widened when flat), with the 1-2-5 ticks inside it. */
function axisDomain(min: number, max: number, target: number): [number, number, AxisTicks] {
  if (!(max > min)) {
    const half = min === 0 ? 1 : Math.abs(min) * 0.1;
    [min, max] = [min - half, max + half];
  }
  const pad = (max - min) * 0.02;
  const [lo, hi] = [min - pad, max + pad];
  const t = niceTicks(lo, hi, target);
  const eps = t.step * 1e-9;
  return [lo, hi, { ...t, values: t.values.filter((v) => v >= lo - eps && v <= hi + eps) }];
}

/** Data extent over every finite point and marker, padded when degenerate. */
function extent(series: readonly PlotSeries[], markers: readonly PlotMarker[]): [number, number, number, number] {
  let [xMin, xMax, yMin, yMax] = [Infinity, -Infinity, Infinity, -Infinity];
  for (const s of series) {
    for (const [x, y] of s.points) {
      if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
      if (x < xMin) xMin = x;
      if (x > xMax) xMax = x;
      if (y < yMin) yMin = y;
      if (y > yMax) yMax = y;
    }
  }
  for (const m of markers) {
    xMin = Math.min(xMin, m.x);
    xMax = Math.max(xMax, m.x);
  }
  if (xMin > xMax) [xMin, xMax] = [0, 1];
  if (yMin > yMax) [yMin, yMax] = [0, 1];
  return [xMin, xMax, yMin, yMax];
}

function axes(f: Frame, xt: AxisTicks, yt: AxisTicks, xLabel: string, yLabel: string): string[] {
  const out: string[] = [];
  const bottom = f.top + f.height;
  out.push(`<g stroke="#e6e6e6" stroke-width="1">`);
  for (const v of xt.values) out.push(`<line x1="${px(f.sx(v))}" y1="${px(f.top)}" x2="${px(f.sx(v))}" y2="${px(bottom)}"/>`);
  for (const v of yt.values) out.push(`<line x1="${px(f.left)}" y1="${px(f.sy(v))}" x2="${px(f.left + f.width)}" y2="${px(f.sy(v))}"/>`);
  out.push('</g>');
  out.push(`<rect x="${px(f.left)}" y="${px(f.top)}" width="${px(f.width)}" height="${px(f.height)}" fill="none" stroke="#333333"/>`);
  out.push(`<g ${FONT} font-size="11" fill="#333333">`);
  for (const v of xt.values) out.push(`<text x="${px(f.sx(v))}" y="${px(bottom + 15)}" text-anchor="middle">${tickText(v, xt.decimals)}</text>`);
  for (const v of yt.values) out.push(`<text x="${px(f.left - 6)}" y="${px(f.sy(v) + 4)}" text-anchor="end">${tickText(v, yt.decimals)}</text>`);
  out.push('</g>');
  out.push(`<text x="${px(f.left + f.width / 2)}" y="${px(bottom + 36)}" text-anchor="middle" ${FONT} font-size="12">${escapeXml(xLabel)}</text>`);
  const cy = f.top + f.height / 2;
  out.push(`<text x="16" y="${px(cy)}" text-anchor="middle" transform="rotate(-90 16 ${px(cy)})" ${FONT} font-size="12">${escapeXml(yLabel)}</text>`);
  return out;
}

function seriesPath(s: PlotSeries, fallback: string, f: Frame, x0: number, x1: number, limit: number): string {
  const color = escapeXml(s.color ?? fallback);
  const pts = s.points.length > limit ? decimateMinMax(s.points, x0, x1, Math.ceil(f.width)) : s.points;
  const d: string[] = [];
  let first = true;
  for (const [x, y] of pts) {
    if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
    if (s.style === 'dots') d.push(`M${px(f.sx(x))} ${px(f.sy(y))}h0`);
    else d.push(`${first ? 'M' : 'L'}${px(f.sx(x))} ${px(f.sy(y))}`);
    first = false;
  }
  const stroke =
    s.style === 'dots' ? 'stroke-width="3" stroke-linecap="round"' : `stroke-width="1.5" stroke-linejoin="round"${s.dashed ? ' stroke-dasharray="6 4"' : ''}`;
  return `<path data-series="${escapeXml(s.name)}" d="${d.join('')}" fill="none" stroke="${color}" ${stroke}/>`;
}

/** Horizontal extent of a marker label in pixels: right of the line, or left of it near the right edge. */
interface LabelSpan {
  /** Left end. */
  start: number;
  /** Right end. */
  end: number;
  /** Drawn to the left of the line (text-anchor end). */
  flipped: boolean;
}

function labelSpan(m: PlotMarker, x: number, rightEdge: number): LabelSpan {
  const textW = m.label.length * CHAR_W;
  if (x + 3 + textW > rightEdge + 10) return { start: x - 3 - textW, end: x - 3, flipped: true };
  return { start: x + 3, end: x + 3 + textW, flipped: false };
}

/** Where a label goes: its row (0 nearest the plot) and left end in pixels. */
export interface LabelPlace {
  /** Row, 0 nearest the plot. */
  row: number;
  /** Left end of the text; moved right of its marker when every row was taken there. */
  start: number;
}

/**
 * Places label spans (in marker order): in the first row where the label clears that
 * row's labels by 4 px; when no row has room, in the row whose labels end first,
 * moved right past them, so labels never overlap.
 */
export function staggerLabels(spans: readonly { start: number; end: number }[]): LabelPlace[] {
  const rows: { start: number; end: number }[][] = Array.from({ length: MAX_LABEL_ROWS }, () => []);
  const clear = (row: { start: number; end: number }[], s: { start: number; end: number }): boolean =>
    row.every((o) => s.start >= o.end + 8 || s.end + 8 <= o.start);
  return spans.map((s) => {
    let row = rows.findIndex((r) => clear(r, s));
    let placed = { start: s.start, end: s.end };
    if (row < 0) {
      const ends = rows.map((r) => Math.max(...r.map((o) => o.end)));
      row = ends.indexOf(Math.min(...ends));
      const shift = (ends[row] as number) + 8 - s.start;
      placed = { start: s.start + shift, end: s.end + shift };
    }
    (rows[row] as { start: number; end: number }[]).push(placed);
    return { row, start: placed.start };
  });
}

function markerLines(markers: readonly PlotMarker[], spans: readonly LabelSpan[], places: readonly LabelPlace[], f: Frame): string[] {
  const out: string[] = [];
  const bottom = f.top + f.height;
  markers.forEach((m, i) => {
    const st = MARKER_STYLE[m.kind];
    const x = f.sx(m.x);
    const span = spans[i] as LabelSpan;
    const place = places[i] as LabelPlace;
    const labelY = f.top - 6 - place.row * LABEL_ROW_H;
    const moved = place.start !== span.start;
    const anchor = span.flipped && !moved ? `x="${px(x - 3)}" text-anchor="end"` : `x="${px(moved ? place.start : x + 3)}"`;
    const leader = moved
      ? `<line x1="${px(x)}" y1="${px(labelY + 3)}" x2="${px(place.start - 1)}" y2="${px(labelY + 3)}" stroke="${st.color}" stroke-width="0.5"/>`
      : '';
    out.push(
      `<g class="marker marker-${m.kind}">` +
        `<line x1="${px(x)}" y1="${px(labelY + 2)}" x2="${px(x)}" y2="${px(bottom)}" stroke="${st.color}" stroke-width="1" stroke-dasharray="${st.dash}"/>` +
        leader +
        `<text ${anchor} y="${px(labelY)}" ${FONT} font-size="11" fill="${st.color}">${escapeXml(m.label)}</text></g>`,
    );
  });
  return out;
}

/** FNV-1a of a string, as 8 hex digits (stable ids). */
function hash(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return (h >>> 0).toString(16).padStart(8, '0');
}

function legend(series: readonly PlotSeries[], x: number, top: number): string[] {
  if (series.length === 0) return [];
  const out = [`<g class="legend" ${FONT} font-size="11">`];
  series.forEach((s, i) => {
    const y = top + 8 + i * 18;
    const color = escapeXml(s.color ?? (PALETTE[i % PALETTE.length] as string));
    const swatch =
      s.style === 'dots'
        ? `<circle cx="${px(x + 8)}" cy="${px(y)}" r="3" fill="${color}"/>`
        : `<line x1="${px(x)}" y1="${px(y)}" x2="${px(x + 16)}" y2="${px(y)}" stroke="${color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="4 3"' : ''}/>`;
    out.push(`${swatch}<text x="${px(x + 22)}" y="${px(y + 4)}" fill="#333333">${escapeXml(s.name)}</text>`);
  });
  out.push('</g>');
  return out;
}
