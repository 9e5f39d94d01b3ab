// The global setup of the DynamoDB Local projects, `store` and `stack`, which share what it starts: two in-memory
// DynamoDB Locals for the whole run, each with a capped heap, and the demo seeded once into a template whose dump
// each end-to-end file restores (test/support/seeded-stack.ts). A test worker uses one of them, chosen by its pool
// id (`dynamoEndpoint()` in test/support/store.ts): one DynamoDB Local serialises much of its work, so three
// workers on one left the machine's second core idle a third of the run.
// `inject('dynamoEndpoint')` names the first; each worker's DYNAMO_ENDPOINT is its own (test/support/worker-dynamo.ts).
// Everything lives in a temporary folder of this run: two suites side by side share no port and no file.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { onUnexpectedExit, startDynamoDbLocal } from '../local/dynamodb.js';
import { seedTemplate } from './support/seeded-demo.js';

declare module 'vitest' {
  export interface ProvidedContext {
    dynamoEndpoint: string;
    /** Every DynamoDB Local of the run; a worker picks one by its pool id. */
    dynamoEndpoints: string[];
    /** Where the seeded demo's dump appears once seeded (see test/support/seeded-demo.ts). */
    seededDemoDir: string;
  }
}

/** What the run's DynamoDB Locals and seed are, once started: the projects that name this setup share them. */
interface SharedDynamo {
  endpoints: string[];
  seededDemoDir: string;
  /** Stops the JVMs and removes the dump once the seed has ended. */
  stop: () => Promise<void>;
  /** How many projects' setups hold it; the last teardown stops it. */
  holders: number;
}

// vitest runs a project's global setup in a module runner of that project's own: a module-level value would not be
// shared between the `store` and `stack` projects (ADR 0047), the main process's global object is.
const SHARED = Symbol.for('governance.test.sharedDynamo');
type Holder = { [SHARED]?: Promise<SharedDynamo> };

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const holder = globalThis as Holder;
  holder[SHARED] ??= startShared();
  const shared = await holder[SHARED];
  shared.holders += 1;
  process.env.DYNAMO_ENDPOINT = shared.endpoints[0] as string;
  project.provide('dynamoEndpoint', shared.endpoints[0] as string);
  project.provide('dynamoEndpoints', shared.endpoints);
  project.provide('seededDemoDir', shared.seededDemoDir);
  return async () => {
    shared.holders -= 1;
    if (shared.holders > 0) return;
    delete holder[SHARED];
    await shared.stop();
  };
}

async function startShared(): Promise<SharedDynamo> {
  // Bounded, but not at the 30 s that suits `npm start`: on a loaded 2-core machine (load 20 to 28) a JVM took
  // longer to answer, and the whole run failed before its first file.
  const dynamos = await Promise.all(
    [0, 1].map(() => startDynamoDbLocal({ heapMb: 512, shortLived: true, startTimeoutMs: 120_000 })),
  );
  for (const dynamo of dynamos) {
    onUnexpectedExit(dynamo, ({ code, signal, output }) => {
      process.stderr.write(
        `\nDynamoDB Local (${dynamo.endpoint}) exited during the test run (${signal ?? `code ${code}`}):\n${output}\n`,
      );
      process.exitCode = 1;
    });
  }
  const [dynamo] = dynamos as [(typeof dynamos)[number]];
  const seededDemoDir = await mkdtemp(join(tmpdir(), 'gov-seeded-demo-'));
  // Seeded while the unit and infra tiers start: vitest runs every project's global setup before any file, so
  // awaiting the seed here left a core idle for its half minute. No file of this tier runs beside the seed: the
  // tier's setup file (test/support/worker-dynamo.ts) waits until it has ended. (Seeding beside running files made
  // webhooks.test.ts fail every time: its receiver takes a port it probed free, and the seeding stack's outgoing
  // connections took such ports.) A failure is written beside the dump, so the e2e files fail with the seed's own
  // error and the integration files still run.
  const seeding = seedTemplate(dynamo.endpoint, seededDemoDir).catch((error: Error) => {
    process.stderr.write(`\nthe shared demo seed failed: ${error.stack ?? error.message}\n`);
    process.exitCode = 1;
  });
  return {
    endpoints: dynamos.map((d) => d.endpoint),
    seededDemoDir,
    holders: 0,
    stop: async () => {
      await seeding;
      await Promise.all(dynamos.map((d) => d.stop()));
      await rm(seededDemoDir, { recursive: true, force: true });
    },
  };
}
