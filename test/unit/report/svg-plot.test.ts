import { describe, expect, it } from 'vitest';
import { decimateMinMax, escapeXml, niceTicks, renderSvgPlot, staggerLabels, type PlotPoint, type PlotSpec } from '../../../cli/report/svg-plot.js';

/**
 * A small well-formedness check: tags balance, attributes are quoted, and text holds
 * no raw '<' and no '&' outside an entity. Returns the element names in order.
 */
function checkXml(xml: string): string[] {
  const names: string[] = [];
  const stack: string[] = [];
  const tag = /<(\/?)([a-zA-Z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>/y;
  let i = 0;
  while (i < xml.length) {
    const lt = xml.indexOf('<', i);
    const text = xml.slice(i, lt < 0 ? xml.length : lt);
    if (/&(?!(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);)/.test(text)) throw new Error(`raw & in text: ${text}`);
    if (lt < 0) break;
    tag.lastIndex = lt;
    const m = tag.exec(xml);
    if (!m) throw new Error(`bad tag at ${lt}: ${xml.slice(lt, lt + 60)}`);
    const [, close, name, attrs, selfClose] = m as unknown as [string, string, string, string, string];
    if (/&(?!(amp|lt|gt|quot|apos);)/.test(attrs)) throw new Error(`raw & in attributes of <${name}>`);
    if (close) {
      if (stack.pop() !== name) throw new Error(`</${name}> closes nothing`);
    } else {
      names.push(name);
      if (!selfClose) stack.push(name);
    }
    i = tag.lastIndex;
  }
  if (stack.length) throw new Error(`unclosed: ${stack.join(', ')}`);
  return names;
}

const line = (n: number, f: (i: number) => number = (i) => i): PlotPoint[] => Array.from({ length: n }, (_, i) => [i / 1000, f(i)] as const);

const base: PlotSpec = {
  title: 'Sequence number vs time at mn1',
  xLabel: 'time (s)',
  yLabel: 'sequence number',
  series: [
    { name: 'received', points: line(500), style: 'dots' },
    { name: 'sent', points: line(500), style: 'line', color: '#000000' },
  ],
  markers: [
    { x: 0.2, label: 'handover mn1 mr11→mr2', kind: 'handover' },
    { x: 0.201, label: 'BU', kind: 'signalling' },
    { x: 0.202, label: 'BA', kind: 'signalling' },
    { x: 0.4, label: 'traffic stops', kind: 'step' },
  ],
};

describe('renderSvgPlot', () => {
  it('produces well-formed XML with axes, both series, the legend and every marker', () => {
    const svg = renderSvgPlot(base);
    const names = checkXml(svg);
    expect(names[0]).toBe('svg');
    expect(svg.match(/class="marker marker-handover"/g)?.length).toBe(1);
    expect(svg.match(/class="marker marker-signalling"/g)?.length).toBe(2);
    expect(svg.match(/class="marker marker-step"/g)?.length).toBe(1);
    expect(svg).toContain('>handover mn1 mr11→mr2</text>');
    expect(svg).toContain('data-series="received"');
    expect(svg).toContain('data-series="sent"');
    expect(svg).toContain('stroke="#000000"');
    expect(svg).toContain('<g class="legend"');
    expect(svg).toContain('>sequence number</text>');
    expect(svg).toContain('>time (s)</text>');
  });

  it('escapes every piece of text', () => {
    const nasty = `<script>alert("x") & 'y'</script>\u0001`;
    const svg = renderSvgPlot({
      ...base,
      title: nasty,
      xLabel: nasty,
      yLabel: nasty,
      series: [{ name: nasty, points: line(3), style: 'line', color: '"/><script>' }],
      markers: [{ x: 0, label: nasty, kind: 'step' }],
    });
    expect(() => checkXml(svg)).not.toThrow();
    expect(svg).not.toContain('<script');
    expect(svg).not.toContain('\u0001');
    expect(svg.split('&lt;script&gt;alert(&quot;x&quot;) &amp; &apos;y&apos;&lt;/script&gt;').length - 1).toBe(6);
  });

  it('is deterministic and copes with empty, flat and non-finite data', () => {
    expect(renderSvgPlot(base)).toBe(renderSvgPlot(base));
    const odd: PlotSpec = {
      ...base,
      series: [
        { name: 'empty', points: [], style: 'dots' },
        {
          name: 'flat',
          points: [
            [1, 5],
            [1, 5],
            [NaN, 3],
            [2, Infinity],
          ],
          style: 'line',
        },
      ],
      markers: [{ x: NaN, label: 'ignored', kind: 'step' }],
    };
    const svg = renderSvgPlot(odd);
    expect(() => checkXml(svg)).not.toThrow();
    expect(svg).not.toMatch(/NaN|Infinity/);
    expect(svg).not.toContain('ignored');
  });

  it('staggers labels of markers that are close together onto rows', () => {
    const svg = renderSvgPlot(base);
    const ys = [...svg.matchAll(/<g class="marker[^"]*">.*?<text [^>]*y="([\d.]+)"/g)].map((m) => Number(m[1]));
    expect(ys).toHaveLength(4);
    expect(new Set(ys.slice(0, 3)).size).toBe(3); // the three close labels sit on three rows
    expect(ys[3]).toBe(ys[0]); // the far one reuses the first row
  });

  it('decimates a dense series to a few points per pixel column', () => {
    const n = 200_000;
    const noisy = line(n, (i) => i + (i % 1000 === 500 ? 100_000 : 0) - (i % 1000 === 700 ? 100_000 : 0));
    const svg = renderSvgPlot({ ...base, width: 600, series: [{ name: 'dense', points: noisy, style: 'line' }], markers: [] });
    const commands = (svg.match(/data-series="dense" d="([^"]*)"/)?.[1] ?? '').match(/[ML]/g)?.length ?? 0;
    expect(commands).toBeGreaterThan(100);
    expect(commands).toBeLessThanOrEqual(4 * 600);
    expect(svg.length).toBeLessThan(120_000);
  });
});

describe('decimateMinMax', () => {
  it('keeps the first, lowest, highest and last point of every column, in x order', () => {
    const pts: PlotPoint[] = [];
    for (let i = 0; i < 10_000; i++) pts.push([i, Math.sin(i) * 100 + (i === 4321 ? 1e6 : 0) - (i === 8765 ? 1e6 : 0)]);
    const kept = decimateMinMax(pts, 0, 10_000, 10);
    expect(kept.length).toBeLessThanOrEqual(40);
    expect(kept.map((p) => p[0])).toEqual([...kept.map((p) => p[0])].sort((a, b) => a - b));
    for (let c = 0; c < 10; c++) {
      const column = pts.slice(c * 1000, (c + 1) * 1000);
      const inCol = kept.filter(([x]) => x >= c * 1000 && x < (c + 1) * 1000);
      const ys = column.map((p) => p[1]);
      expect(inCol.map((p) => p[1])).toContain(Math.min(...ys));
      expect(inCol.map((p) => p[1])).toContain(Math.max(...ys));
      expect(inCol[0]).toBe(column[0]);
      expect(inCol[inCol.length - 1]).toBe(column[column.length - 1]);
    }
    expect(kept.some((p) => p[1] > 999_000)).toBe(true);
    expect(kept.some((p) => p[1] < -999_000)).toBe(true);
  });
});

describe('niceTicks', () => {
  const table: { min: number; max: number; target: number; step: number; first: number; last: number; decimals: number }[] = [
    { min: 0, max: 10, target: 5, step: 2, first: 0, last: 10, decimals: 0 },
    { min: 0, max: 1, target: 5, step: 0.2, first: 0, last: 1, decimals: 1 },
    { min: -3, max: 7, target: 4, step: 5, first: -5, last: 10, decimals: 0 },
    { min: 0.0013, max: 0.0091, target: 4, step: 0.002, first: 0, last: 0.01, decimals: 3 },
    { min: 12_345, max: 98_765, target: 6, step: 20_000, first: 0, last: 100_000, decimals: 0 },
    { min: 5, max: 5, target: 5, step: 0.2, first: 4.4, last: 5.6, decimals: 1 },
  ];
  it.each(table)('[$min, $max] ~$target → step $step', ({ min, max, target, step, first, last, decimals }) => {
    const t = niceTicks(min, max, target);
    expect(t.step).toBeCloseTo(step, 12);
    expect(t.decimals).toBe(decimals);
    expect(t.values[0]).toBeCloseTo(first, 12);
    expect(t.values[t.values.length - 1]).toBeCloseTo(last, 12);
    expect(t.values[0]).toBeLessThanOrEqual(min);
    expect(t.values[t.values.length - 1]).toBeGreaterThanOrEqual(max);
    const mantissa = t.step / 10 ** Math.floor(Math.log10(t.step) + 1e-9);
    expect([1, 2, 5].some((m) => Math.abs(mantissa - m) < 1e-9)).toBe(true);
  });
});

describe('staggerLabels', () => {
  it('never puts two overlapping labels on one row', () => {
    const spans = Array.from({ length: 12 }, (_, i) => ({ start: i * 5, end: i * 5 + 40 }));
    const places = staggerLabels(spans);
    for (let a = 0; a < spans.length; a++) {
      for (let b = a + 1; b < spans.length; b++) {
        const [pa, pb] = [places[a], places[b]] as [{ row: number; start: number }, { row: number; start: number }];
        if (pa.row !== pb.row) continue;
        const overlap = pa.start < pb.start + 40 + 4 && pb.start < pa.start + 40 + 4;
        expect(overlap, `labels ${a} and ${b} on row ${pa.row}`).toBe(false);
      }
    }
    expect(places.slice(0, 4).map((p) => p.row)).toEqual([0, 1, 2, 3]);
    expect(places[0]?.start).toBe(0);
  });
});

describe('escapeXml', () => {
  it.each([
    ['a<b>c', 'a&lt;b&gt;c'],
    ['"q" & \'a\'', '&quot;q&quot; &amp; &apos;a&apos;'],
    ['bell\u0007 tab\t', 'bell tab\t'],
    ['mr11→mr2 😀', 'mr11→mr2 😀'],
    ['lone \ud800 surrogate', 'lone  surrogate'],
  ])('%j', (input, output) => expect(escapeXml(input)).toBe(output));
});
