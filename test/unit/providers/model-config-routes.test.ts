// Model config routes may pin a provider connection version and a model (issue 16). A config in today's shape
// (`routes: [{target, weight}]`) must parse to the same content and keep its content hash: hashes are stored in
// approvals, runs and audit events under Object Lock.
import { describe, expect, it } from 'vitest';
import { createModelConfigRequest } from '../../../functions/contracts/artefacts.js';
import { modelConfigContentHash } from '../../../functions/domain/snapshot.js';
import { modelConfigInput } from '../../support/fixtures.js';

const SYSTEM = 'sys_01JBQ6ZC2W0000000000000000';
/** The golden hash of the fixture config (test/unit/domain/snapshot-golden.test.ts). */
const GOLDEN = 'sha256:ac7d0aa7faf1268ffcd45a5ced5d9382af0ff5c48e6beb5dee8f26553ffbb4cb';
const CONNECTION = { id: 'pcn_01JBQ6ZC2W0000000000000009', version: 2 };

describe('model config routes with provider connections', () => {
  it('keeps the content hash of a config in the old shape after it passes the request contract', () => {
    // Prepare
    const old = modelConfigInput(SYSTEM);

    // Act
    const parsed = createModelConfigRequest.parse(old);

    // Assess
    expect(parsed.routingPolicy.routes.every((r) => !('connection' in r) && !('model' in r))).toBe(true);
    expect(modelConfigContentHash(parsed)).toBe(GOLDEN);
  });

  it('accepts a route that pins a connection version and a model, and hashes the pin', () => {
    // Prepare
    const old = modelConfigInput(SYSTEM);
    const pinned = {
      ...old,
      routingPolicy: {
        strategy: 'single' as const,
        routes: [{ target: 'primary', weight: 1, connection: CONNECTION, model: 'gpt-4o-mini' }],
      },
    };

    // Act
    const parsed = createModelConfigRequest.parse(pinned);
    const moved = createModelConfigRequest.parse({
      ...pinned,
      routingPolicy: {
        ...pinned.routingPolicy,
        routes: [{ ...pinned.routingPolicy.routes[0], connection: { ...CONNECTION, version: 3 } }],
      },
    });

    // Assess
    expect(parsed.routingPolicy.routes[0]).toEqual({
      target: 'primary',
      weight: 1,
      connection: CONNECTION,
      model: 'gpt-4o-mini',
    });
    expect(modelConfigContentHash(parsed)).not.toBe(GOLDEN);
    expect(modelConfigContentHash(moved)).not.toBe(modelConfigContentHash(parsed));
  });

  it('refuses a connection pin that is not a pcn id with a positive integer version', () => {
    // Prepare
    const old = modelConfigInput(SYSTEM);
    const bad = (connection: unknown) => ({
      ...old,
      routingPolicy: { strategy: 'single', routes: [{ target: 'primary', weight: 1, connection }] },
    });

    // Act
    const results = [bad({ id: 'whk_01JBQ6ZC2W0000000000000009', version: 1 }), bad({ ...CONNECTION, version: 0 })].map(
      (body) => createModelConfigRequest.safeParse(body),
    );

    // Assess
    expect(results.map((r) => r.success)).toEqual([false, false]);
  });
});
