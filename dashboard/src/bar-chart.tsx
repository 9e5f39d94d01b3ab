// A small SVG bar chart whose axis labels are text the page can measure: the x labels are thinned to every k-th
// one so that none overlaps another at the chart's width, and the figure keeps its height while data arrives.
import { useLayoutEffect, useRef, useState } from 'react';

export interface BarChartProps {
  title: string;
  /** One label per bar, under it (thinned when they would overlap). */
  labels: readonly string[];
  values: readonly number[];
  /** A value in its unit, for the y axis and each bar's tooltip. */
  format: (value: number) => string;
  color: string;
  height?: number;
}

const FONT_PX = 11;
const GAP_PX = 8;
const TICKS = 4;

/** Widths of texts as the figure's font draws them (a canvas measure; the SVG text uses the same font). */
function measurer(el: Element): (text: string) => number {
  const style = getComputedStyle(el);
  const context = document.createElement('canvas').getContext('2d');
  if (!context) return (text) => text.length * FONT_PX * 0.62;
  context.font = `${FONT_PX}px ${style.fontFamily}`;
  // Rounded up, with a pixel to spare: the canvas and the SVG renderer may round a glyph run differently.
  return (text) => Math.ceil(context.measureText(text).width) + 1;
}

/** A "nice" step (1, 2 or 5 times a power of ten) that splits 0..max into about `TICKS` intervals. */
function niceStep(max: number): number {
  const raw = max / TICKS;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw);
  return step ?? 10 * power;
}

/** How many labels apart two shown x labels are, so that each shown label fits in its share of the width. */
export function labelStride(labelWidths: readonly number[], plotWidth: number): number {
  const n = labelWidths.length;
  if (n === 0 || plotWidth <= 0) return 1;
  const widest = Math.max(...labelWidths) + GAP_PX;
  return Math.max(1, Math.ceil((widest * n) / plotWidth));
}

export function BarChart({ title, labels, values, format, color, height = 200 }: BarChartProps) {
  const box = useRef<HTMLElement>(null);
  const [width, setWidth] = useState(0);
  const [measure, setMeasure] = useState<((text: string) => number) | null>(null);
  useLayoutEffect(() => {
    const el = box.current;
    if (!el) return;
    setMeasure(() => measurer(el));
    setWidth(el.clientWidth);
    const observer = new ResizeObserver(() => setWidth(el.clientWidth));
    observer.observe(el);
    return () => observer.disconnect();
  }, []);

  const max = Math.max(0, ...values);
  const step = max > 0 ? niceStep(max) : 1;
  const top = step * Math.max(1, Math.ceil(max / step));
  const ticks = Array.from({ length: Math.round(top / step) + 1 }, (_, i) => i * step);
  const tickTexts = ticks.map(format);
  const widthOf = measure ?? ((text: string) => text.length * FONT_PX * 0.62);
  const left = Math.max(...tickTexts.map(widthOf)) + GAP_PX;
  const labelWidths = labels.map(widthOf);
  const right = Math.max(GAP_PX, (labelWidths.at(-1) ?? 0) / 2);
  const plotWidth = Math.max(0, width - left - right);
  const bottom = FONT_PX + 2 * GAP_PX;
  const plotHeight = height - bottom - GAP_PX;
  const slot = labels.length ? plotWidth / labels.length : 0;
  const stride = labelStride(labelWidths, plotWidth);
  const y = (v: number) => GAP_PX + plotHeight - (top > 0 ? (v / top) * plotHeight : 0);

  return (
    <figure className="bar-chart" ref={box}>
      <figcaption>{title}</figcaption>
      <div style={{ height }}>
        {width > 0 ? (
          <svg width={width} height={height} role="img" aria-label={title} fontSize={FONT_PX}>
            {ticks.map((t, i) => (
              <g key={t}>
                <line x1={left} x2={left + plotWidth} y1={y(t)} y2={y(t)} stroke="#d5dae0" />
                <text className="y-label" x={left - GAP_PX / 2} y={y(t)} dy="0.35em" textAnchor="end" fill="#56606c">
                  {tickTexts[i]}
                </text>
              </g>
            ))}
            {values.map((v, i) => (
              <rect
                // biome-ignore lint/suspicious/noArrayIndexKey: a bar is its position; labels may repeat.
                key={i}
                x={left + i * slot + slot * 0.2}
                width={Math.max(1, slot * 0.6)}
                y={y(v)}
                height={Math.max(0, y(0) - y(v))}
                fill={color}
              >
                <title>{`${labels[i] ?? ''}: ${format(v)}`}</title>
              </rect>
            ))}
            {labels.map((label, i) =>
              i % stride === 0 ? (
                <text
                  // biome-ignore lint/suspicious/noArrayIndexKey: a label is its position.
                  key={i}
                  className="x-label"
                  x={left + (i + 0.5) * slot}
                  y={height - GAP_PX}
                  textAnchor="middle"
                  fill="#56606c"
                >
                  {label}
                </text>
              ) : null,
            )}
          </svg>
        ) : null}
      </div>
    </figure>
  );
}
