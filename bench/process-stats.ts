// Memory and CPU of processes from Linux's /proc, for benchmarks that measure a child process tree beside their own.
import { readdir, readFile, writeFile } from 'node:fs/promises';

const round2 = (n: number) => Math.round(n * 100) / 100;
const mb = (kb: number) => Math.round(kb / 1024);

/** A /proc/<pid>/status field in kB (Linux); 0 when the process or the field is gone. */
export async function statusKb(pid: number | 'self', field: 'VmRSS' | 'VmHWM'): Promise<number> {
  try {
    const text = await readFile(`/proc/${pid}/status`, 'utf8');
    const match = new RegExp(`${field}:\\s+(\\d+) kB`).exec(text);
    return match ? Number(match[1]) : 0;
  } catch {
    return 0;
  }
}

/** CPU seconds (user + system) a process has used, from /proc/<pid>/stat (clock ticks of 1/100 s); 0 when gone. */
export async function cpuSeconds(pid: number | 'self'): Promise<number> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

/** Resets a process's VmHWM (Linux: `5` into clear_refs), so the peak read next is this phase's. */
export async function resetPeak(pid: number | 'self'): Promise<boolean> {
  try {
    await writeFile(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/** The process and its descendants, from /proc/<pid>/stat's parent field. */
export async function processTree(root: number): Promise<number[]> {
  const parents = new Map<number, number>();
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = await readFile(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parents.set(Number(entry), ppid);
    } catch {
      // gone meanwhile
    }
  }
  const tree = [root];
  for (let i = 0; i < tree.length; i++)
    for (const [pid, ppid] of parents) if (ppid === tree[i] && !tree.includes(pid)) tree.push(pid);
  return tree;
}

/** Polls the summed RSS of some processes every 100 ms; `stop` gives the peak of the sum and each one's VmHWM. */
export function memorySampler(pids: () => Promise<number[]> | number[]) {
  let peakKb = 0;
  const hwm = new Map<number, number>();
  const cpu = new Map<number, { first: number; last: number }>();
  let busy = false;
  const sample = async () => {
    if (busy) return;
    busy = true;
    try {
      let sum = 0;
      for (const pid of await pids()) {
        sum += await statusKb(pid, 'VmRSS');
        hwm.set(pid, Math.max(hwm.get(pid) ?? 0, await statusKb(pid, 'VmHWM')));
        const used = await cpuSeconds(pid);
        const seen = cpu.get(pid);
        if (!seen) cpu.set(pid, { first: used, last: used });
        else if (used > 0) seen.last = used;
      }
      peakKb = Math.max(peakKb, sum);
    } finally {
      busy = false;
    }
  };
  const timer = setInterval(() => void sample(), 100);
  return {
    async stop() {
      clearInterval(timer);
      await sample();
      const cpuSecondsUsed = [...cpu.values()].reduce((sum, c) => sum + c.last - c.first, 0);
      return { peakSumMb: mb(peakKb), hwmMb: [...hwm.values()].map(mb), cpuSeconds: round2(cpuSecondsUsed) };
    },
  };
}
