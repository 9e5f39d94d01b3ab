// uPlot in React: the chart owns a fixed-height box, so data arriving never moves the page.
import { useEffect, useRef } from 'react';
import uPlot, { type AlignedData, type Options } from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface ChartProps {
  title: string;
  data: AlignedData;
  series: { label: string; stroke: string; fill?: string; bars?: boolean }[];
  height?: number;
  /** x values are epoch seconds (time axis) or category indexes. */
  time?: boolean;
  xLabels?: string[];
  /** The y axis's label (the unit): read beside the ticks. */
  yLabel?: string;
}

export function Chart({ title, data, series, height = 220, time = true, xLabels, yLabel }: ChartProps) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const bars = uPlot.paths.bars?.({ size: [0.6, 60] });
    const opts: Options = {
      title,
      width: Math.max(240, el.clientWidth),
      height,
      scales: {
        // Categories sit at 0..n-1: half a slot of margin on each side keeps the outer bars whole.
        x: xLabels ? { time: false, range: [-0.5, Math.max(0, xLabels.length - 0.5)] } : { time },
        // Counts, latencies and costs start at zero, so bar heights compare honestly.
        y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.15 : 1] },
      },
      axes: [
        xLabels
          ? {
              values: (_u, ticks) => ticks.map((t) => xLabels[Math.round(t)] ?? ''),
              splits: () => xLabels.map((_, i) => i),
            }
          : {},
        yLabel ? { label: yLabel } : {},
      ],
      // The legend names the series; no live value under the cursor (no "Value: --" before a hover).
      legend: { live: false },
      series: [
        {},
        ...series.map((s) => ({
          label: s.label,
          stroke: s.stroke,
          fill: s.fill,
          width: s.bars ? 0 : 2,
          ...(s.bars && bars ? { paths: bars, points: { show: false } } : {}),
        })),
      ],
    };
    const plot = new uPlot(opts, data, el);
    const resize = new ResizeObserver(() => plot.setSize({ width: Math.max(240, el.clientWidth), height }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [title, data, series, height, time, xLabels, yLabel]);
  return <figure className="chart" ref={box} style={{ minHeight: height + 60 }} aria-label={title} />;
}
