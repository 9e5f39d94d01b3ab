// Every registered artefact kind must be complete in every layer: this file iterates the registry and fails for the
// first layer that lacks a kind (docs/architecture/new-artefact-kind.md lists the files to touch).
import { describe, expect, it } from 'vitest';
import { ID_PREFIX_BY_RESOURCE } from '../../../functions/api/middleware/path-params.js';
import { API_MODULES } from '../../../functions/api/routes.js';
import { ARTEFACT_CONTRACTS } from '../../../functions/contracts/artefacts.js';
import { createCandidateRequest } from '../../../functions/contracts/candidates.js';
import { releaseCandidateResponse } from '../../../functions/contracts/responses.js';
import {
  ARTEFACT_KIND_NAMES,
  ARTEFACT_KINDS,
  type ArtefactKindSpec,
  idPrefixByResource,
  snapshotMembers,
} from '../../../functions/domain/artefact-kinds.js';
import { ID_PREFIXES, idPattern } from '../../../functions/domain/id-format.js';
import { newId } from '../../../functions/domain/ids.js';
import { canTransition } from '../../../functions/domain/lifecycle.js';
import type { ReleaseCandidate } from '../../../functions/domain/types.js';
import { ARTEFACT_STORE } from '../../../functions/store/artefacts.js';
import { pinnedVersionKeys, pinnedVersions } from '../../../functions/store/report-inputs.js';

// The kinds candidates pinned when the first snapshots were stored. Only these may be required in a snapshot: a
// kind registered later must be optional, or every stored candidate becomes SNAPSHOT_INELIGIBLE.
const FOUNDING_KINDS = ['prompt', 'model_config'];

const kinds = ARTEFACT_KIND_NAMES.map((name) => [name, ARTEFACT_KINDS[name] as ArtefactKindSpec] as const);

function shapeKeys(schema: unknown): string[] {
  const shape = (schema as { shape?: Record<string, unknown> }).shape;
  return shape ? Object.keys(shape) : [];
}

describe('the artefact kind registry', () => {
  it('names each kind by its own key, with a distinct id prefix, resource and evidence list', () => {
    // Assess
    for (const [name, spec] of kinds) expect(spec.name).toBe(name);
    for (const field of ['idPrefix', 'resource', 'evidence'] as const) {
      const values = kinds.map(([, spec]) => spec[field]);
      expect(new Set(values).size, field).toBe(values.length);
    }
  });

  it('gives every kind an id prefix of the one id format', () => {
    expect(new Set(ID_PREFIXES).size).toBe(ID_PREFIXES.length);
    for (const [name, spec] of kinds) {
      // Act
      const id = newId(spec.idPrefix);

      // Assess
      expect(ID_PREFIXES, name).toContain(spec.idPrefix);
      expect(id).toMatch(idPattern(spec.idPrefix));
    }
  });

  it('gives every kind a lifecycle of review', () => {
    for (const [name] of kinds) {
      // Assess
      expect(canTransition(name, 'draft', 'in_review'), name).toBe(true);
      expect(canTransition(name, 'approved', 'draft'), name).toBe(false);
    }
  });

  it('gives every kind its own item key, counter and indexes in the store', () => {
    // Prepare
    const specs = ARTEFACT_KIND_NAMES.map((name) => ARTEFACT_STORE[name]);

    // Assess
    expect(new Set(specs.map((s) => s.counter)).size).toBe(specs.length);
    expect(new Set(specs.map((s) => s.key('x').pk)).size).toBe(specs.length);
    for (const [name, spec] of kinds) {
      const store = ARTEFACT_STORE[name];
      const id = newId(spec.idPrefix);
      expect(store.key(id), name).toEqual({ pk: expect.stringContaining(id), sk: expect.any(String) });
      expect(store.indexes('sys_1', 'primary', 1, id), name).toMatchObject({
        gsi1pk: expect.stringContaining('sys_1'),
        gsi2sk: id,
      });
    }
  });

  it('gives every kind a registration request and a response carrying its content fields', () => {
    for (const [name, spec] of kinds) {
      // Prepare
      const { create, response } = ARTEFACT_CONTRACTS[name];

      // Assess
      expect(shapeKeys(create), name).toEqual(expect.arrayContaining(['systemId', 'name', ...spec.contentFields]));
      expect(shapeKeys(response), name).toEqual(
        expect.arrayContaining(['id', 'contentHash', 'status', ...spec.contentFields]),
      );
    }
  });

  it('routes every kind under its resource, with its id prefix checked on the path', () => {
    // Prepare
    const paths = Object.values(API_MODULES).flatMap((m) => m.routes.map((r) => `${r.method} ${r.path}`));

    for (const [name, spec] of kinds) {
      // Assess
      expect(idPrefixByResource()[spec.resource], name).toBe(spec.idPrefix);
      expect(ID_PREFIX_BY_RESOURCE[spec.resource], name).toBe(spec.idPrefix);
      expect(paths, name).toEqual(
        expect.arrayContaining([`POST /api/${spec.resource}`, `GET /api/${spec.resource}/{id}`]),
      );
    }
  });

  it('carries every snapshot member in the candidate contracts, and requires only the founding kinds', () => {
    // Prepare
    const candidateFields = shapeKeys(releaseCandidateResponse);
    const requestFields = shapeKeys(createCandidateRequest);

    for (const [name, spec] of kinds) {
      const member = spec.snapshot;
      if (!member) continue;
      // Assess
      if (member.list) {
        expect(candidateFields, name).toContain(member.listField);
        expect(requestFields, name).toContain(member.idsField);
      } else {
        expect(candidateFields, name).toEqual(expect.arrayContaining([member.idField, member.hashField]));
        expect(requestFields, name).toContain(member.idField);
      }
      if (member.required) expect(FOUNDING_KINDS, name).toContain(name);
    }
    expect(snapshotMembers().filter((m) => m.required)).toHaveLength(FOUNDING_KINDS.length);
  });

  it('lists every version a candidate pins in the evidence of the compliance report', () => {
    for (const [name, spec] of kinds) {
      if (!spec.snapshot) continue;
      // Prepare
      const id = newId(spec.idPrefix);
      const member = spec.snapshot;
      const pinned = member.list
        ? { [member.listField]: [{ id, contentHash: `sha256:${'0'.repeat(64)}` }] }
        : { [member.idField]: id };
      const candidate = pinned as unknown as ReleaseCandidate;
      const key = ARTEFACT_STORE[name].key(id);

      // Act
      const keys = pinnedVersionKeys([candidate, candidate]);
      const evidence = pinnedVersions([{ ...key, id, itemType: name }]) as Record<string, { id: string }[]>;

      // Assess
      expect(
        keys.filter((k) => k.pk === key.pk),
        name,
      ).toEqual([key]);
      expect(
        evidence[spec.evidence]?.map((v) => v.id),
        name,
      ).toEqual([id]);
    }
  });
});
