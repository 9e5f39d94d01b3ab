// The project's vitest config with the CPU probe (test/support/int-cpu-probe.ts) as an extra setup file of the
// stack tier, for measuring one file against another (docs/architecture/testing.md, "Session 25: integration"):
//   CPU_PROBE_OUT=/tmp/probe.jsonl npx vitest run --config test/support/int-probe.config.ts <files>
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import base from '../../vitest.config.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const projects = (base.test?.projects ?? []).map((project) => {
  if (typeof project !== 'object' || !('test' in project) || project.test?.name !== 'stack') return project;
  const setupFiles = [project.test.setupFiles ?? []].flat();
  return { ...project, test: { ...project.test, setupFiles: [...setupFiles, 'test/support/int-cpu-probe.ts'] } };
});

export default defineConfig({ ...base, root, test: { ...base.test, projects } });
