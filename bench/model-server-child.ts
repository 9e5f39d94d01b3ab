// The provider benchmark's model server in a process of its own (bench/provider-run.ts spawns it with an IPC
// channel), so that its CPU and memory are not counted as the control plane's. It sends `{port}` once listening,
// answers `stats` with the calls it received and the most it had in flight, and stops on `stop`.
import { startModelServer } from '../local/model-server.js';

const apiKey = process.env.BENCH_MODEL_KEY ?? '';
const latencyMs = Number(process.env.BENCH_MODEL_LATENCY_MS ?? '50');
const server = await startModelServer({ apiKey, latencyMs });
const send = (message: unknown) => process.send?.(message);
process.on('message', (message: unknown) => {
  if (message === 'stats') send({ stats: { calls: server.calls('openai'), peakInFlight: server.peakInFlight() } });
  if (message === 'stop') void server.stop().then(() => process.exit(0));
});
process.on('disconnect', () => void server.stop().then(() => process.exit(0)));
send({ port: server.port });
