// Captures what Powertools writes (its own Console over process.stdout and process.stderr: warnings and errors go to
// stderr) as parsed JSON lines.
import { vi } from 'vitest';

export interface Captured {
  lines: Record<string, unknown>[];
  restore: () => void;
}

export function captureOutput(): Captured {
  const lines: Record<string, unknown>[] = [];
  const collect = (chunk: unknown) => {
    for (const line of String(chunk).split('\n')) {
      if (!line.trim().startsWith('{')) continue;
      try {
        lines.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        // not a JSON line: vitest's own output
      }
    }
    return true;
  };
  const spies = [
    vi.spyOn(process.stdout, 'write').mockImplementation(collect),
    vi.spyOn(process.stderr, 'write').mockImplementation(collect),
  ];
  return {
    lines,
    restore: () => {
      for (const spy of spies) spy.mockRestore();
    },
  };
}

/** The EMF documents among captured lines: the metric names of each, with its dimension values. */
export function emfMetrics(
  lines: Record<string, unknown>[],
): { name: string; value: unknown; line: Record<string, unknown> }[] {
  const out: { name: string; value: unknown; line: Record<string, unknown> }[] = [];
  for (const line of lines) {
    const aws = line._aws as { CloudWatchMetrics?: { Metrics: { Name: string }[] }[] } | undefined;
    for (const directive of aws?.CloudWatchMetrics ?? []) {
      for (const metric of directive.Metrics) out.push({ name: metric.Name, value: line[metric.Name], line });
    }
  }
  return out;
}
