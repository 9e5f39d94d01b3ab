// Opens the organisation audit chain and makes the policy a governed document: version 1 = DEFAULT_POLICY (with an
// activation quorum of 2), active, with one `policy.activated` event by `system:genesis`, copied onto every system's
// META (docs/adr/0023-policy-in-force.md). Idempotent: a second run finds the pointer and changes no META that
// already holds the version; a run that dies part-way is resumed by the next.
import { policyGenesis } from '../policies.js';
import type { Migration } from './index.js';

export const policyGenesisMigration: Migration = {
  id: '0004-policy-genesis',
  description: 'opens the organisation chain with policy version 1 in force and copies it onto every system',
  async run(context) {
    const { created, copied } = await policyGenesis({
      doc: context.doc,
      tableName: context.tableName,
      now: () => new Date(),
    });
    return { changed: (created ? 1 : 0) + copied };
  },
};
