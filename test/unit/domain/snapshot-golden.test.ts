// Snapshot hashes of fixture candidates, computed with the code as it was before the artefact kind registry
// existed. They are stored in approvals, eval runs and audit events under Object Lock: they must never change.
import { describe, expect, it } from 'vitest';
import { ARTEFACT_KINDS, type ArtefactKindRegistry } from '../../../functions/domain/artefact-kinds.js';
import {
  modelConfigContentHash,
  promptContentHash,
  type SnapshotInput,
  snapshotHash,
} from '../../../functions/domain/snapshot.js';
import { LENIENT_THRESHOLDS, modelConfigInput, promptInput } from '../../support/fixtures.js';

const SYSTEM = 'sys_01JBQ6ZC2W0000000000000000';
const prompt = promptInput(SYSTEM);
const config = modelConfigInput(SYSTEM);
const revisedPrompt = promptInput(SYSTEM, { template: 'Route the ticket: {{ticket}}' });
const revisedConfig = modelConfigInput(SYSTEM, {
  model: 'gpt-4o',
  parameters: { temperature: 0, maxTokens: 512, topP: 0.9 },
});

const staging: SnapshotInput = {
  systemId: SYSTEM,
  environment: 'staging',
  promptVersionId: 'pv_01JBQ6ZC2W0000000000000001',
  promptContentHash: promptContentHash(prompt),
  modelConfigId: 'mc_01JBQ6ZC2W0000000000000002',
  modelConfigContentHash: modelConfigContentHash(config),
  datasetIds: ['ds_01JBQ6ZC2W0000000000000003'],
  thresholds: LENIENT_THRESHOLDS,
};

const production: SnapshotInput = {
  ...staging,
  environment: 'production',
  promptVersionId: 'pv_01JBQ6ZC2W0000000000000004',
  promptContentHash: promptContentHash(revisedPrompt),
  modelConfigId: 'mc_01JBQ6ZC2W0000000000000005',
  modelConfigContentHash: modelConfigContentHash(revisedConfig),
  datasetIds: ['ds_01JBQ6ZC2W0000000000000007', 'ds_01JBQ6ZC2W0000000000000006'],
  thresholds: [
    { metric: 'accuracy', direction: 'min', value: 0.9, regressionTolerance: 0.02 },
    { metric: 'latencyP95Ms', direction: 'max', value: 3000, regressionTolerance: null },
  ],
};

const bare: SnapshotInput = { ...staging, datasetIds: [], thresholds: [] };

/** Hashes taken from the fixtures with the code before the registry (commit 979f69a). */
const GOLDEN = [
  {
    name: 'a staging candidate of the fixture prompt and model config',
    input: staging,
    hash: 'sha256:47a3005590b24488cddf3b06da51b803848cd8ee4ecbc86d0ea1a49927179ad6',
  },
  {
    name: 'a production candidate of revised versions and two datasets',
    input: production,
    hash: 'sha256:3f2c479cc225e847269e47904b68a826251ba45c7e27f9253e5beea192628280',
  },
  {
    name: 'a candidate without datasets or thresholds',
    input: bare,
    hash: 'sha256:7605b2f5a1361f8cfa2bade6f5d229deb4edaaf97687c23dbd11b56eeff731fc',
  },
] as const;

describe('snapshot hashes of existing candidates', () => {
  it('keep the content hashes of the fixture prompt and model config', () => {
    // Assess
    expect(promptContentHash(prompt)).toBe('sha256:195074896728ae2699cbc27eddc20f930f98418f3f41514d1fad89bdc1cfdfdf');
    expect(modelConfigContentHash(config)).toBe(
      'sha256:ac7d0aa7faf1268ffcd45a5ced5d9382af0ff5c48e6beb5dee8f26553ffbb4cb',
    );
  });

  for (const golden of GOLDEN) {
    it(`keep the hash of ${golden.name}`, () => {
      // Act / Assess
      expect(snapshotHash(golden.input)).toBe(golden.hash);
    });
  }
});

// A kind registered after these snapshots were taken, as the evaluation issues will add a judge config.
const WITH_JUDGE: ArtefactKindRegistry = {
  ...ARTEFACT_KINDS,
  judge_config: {
    name: 'judge_config',
    idPrefix: 'run',
    label: 'judge config',
    resource: 'judge-configs',
    contentFields: ['provider', 'model', 'rubric'],
    snapshot: { idField: 'judgeConfigId', hashField: 'judgeConfigContentHash', required: false },
    evidence: 'judgeConfigs',
  },
};

describe('snapshot hashes after a new artefact kind is registered', () => {
  for (const golden of GOLDEN) {
    it(`keep the hash of ${golden.name}, which pins no version of the new kind`, () => {
      // Prepare
      const absent = { ...golden.input, judgeConfigId: null };

      // Act / Assess
      expect(snapshotHash(golden.input, WITH_JUDGE)).toBe(golden.hash);
      expect(snapshotHash(absent, WITH_JUDGE)).toBe(golden.hash);
    });
  }

  it('change when a candidate pins a version of the new kind', () => {
    // Prepare
    const pinned = {
      ...staging,
      judgeConfigId: 'jc_01JBQ6ZC2W0000000000000008',
      judgeConfigContentHash: 'sha256:0000000000000000000000000000000000000000000000000000000000000000',
    };
    const other = { ...pinned, judgeConfigContentHash: pinned.judgeConfigContentHash.replace(/0$/, '1') };

    // Act
    const hash = snapshotHash(pinned, WITH_JUDGE);

    // Assess
    expect(hash).not.toBe(GOLDEN[0].hash);
    expect(snapshotHash(other, WITH_JUDGE)).not.toBe(hash);
  });
});

// Judge configs (ADR 0036) are registered as a list-valued member: the golden hashes above are taken with them
// registered, and a candidate whose list is absent, null or empty keeps its hash.
describe('snapshot hashes with judge configs registered', () => {
  const judge = (n: number, hashDigit = '0') => ({
    id: `jc_01JBQ6ZC2W000000000000000${n}`,
    contentHash: `sha256:${hashDigit.repeat(64)}`,
  });

  for (const golden of GOLDEN) {
    it(`keep the hash of ${golden.name} when it pins no judge`, () => {
      // Act / Assess
      expect(snapshotHash({ ...golden.input, judgeConfigs: [] })).toBe(golden.hash);
      expect(snapshotHash({ ...golden.input, judgeConfigs: null })).toBe(golden.hash);
    });
  }

  it('change when a candidate pins a judge, and again when the judge’s content hash differs', () => {
    // Act
    const pinned = snapshotHash({ ...staging, judgeConfigs: [judge(1)] });
    const edited = snapshotHash({ ...staging, judgeConfigs: [judge(1, '1')] });

    // Assess
    expect(pinned).not.toBe(GOLDEN[0].hash);
    expect(edited).not.toBe(pinned);
  });

  it('do not depend on the order the judges are named in, nor on members beside id and hash', () => {
    // Act
    const one = snapshotHash({ ...staging, judgeConfigs: [judge(1), judge(2)] });
    const withBookkeeping = [
      { ...judge(2), modelConfigId: 'mc_x' },
      { ...judge(1), modelConfigId: 'mc_y' },
    ];
    const other = snapshotHash({ ...staging, judgeConfigs: withBookkeeping });

    // Assess
    expect(other).toBe(one);
  });
});
