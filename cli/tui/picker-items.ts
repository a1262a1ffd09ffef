/** One choice in a picker. */
export interface PickItem {
  value: string;
  label: string;
  /** Dim text after the label (where the node is, what it is). */
  hint?: string;
}

/** Items matching what was typed (case-insensitive substring), exact and prefix matches first. */
export function filterItems(items: readonly PickItem[], filter: string): PickItem[] {
  const f = filter.trim().toLowerCase();
  if (!f) return [...items];
  const rank = (i: PickItem) => {
    const l = i.label.toLowerCase();
    return l === f ? 0 : l.startsWith(f) ? 1 : 2;
  };
  return items
    .filter((i) => i.label.toLowerCase().includes(f) || i.value.toLowerCase().includes(f))
    .map((item, order) => ({ item, order, rank: rank(item) }))
    .sort((a, b) => a.rank - b.rank || a.order - b.order)
    .map((x) => x.item);
}
