// The easy path for an end-to-end file that needs the demo: a local stack on a fresh copy of this run's seeded demo
// (seeded once by test/global-setup.ts, restored here in well under a second instead of re-seeded).
//
//   let seeded: SeededStack;
//   beforeAll(async () => { seeded = await startSeededStack({ name: 'my-feature' }); });
//   afterAll(async () => seeded?.stop());
import { inject } from 'vitest';
import type { LocalStackOptions } from '../../local/stack.js';
import { type SeededStack, startStackOnSeededCopy } from './seeded-demo.js';
import { dynamoEndpoint } from './store.js';

export type { SeededStack } from './seeded-demo.js';

/** Starts a local stack on a restored copy of the seeded demo; `stop()` also removes a data folder it made. */
export function startSeededStack(
  options: Omit<LocalStackOptions, 'port' | 'dynamoEndpoint' | 'seed'> & { name?: string } = {},
): Promise<SeededStack> {
  return startStackOnSeededCopy(inject('seededDemoDir'), dynamoEndpoint(), options);
}
