import { describe, expect, it } from 'vitest';
import { ConflictError, ForbiddenError, ValidationError } from '../../../functions/domain/errors.js';
import { monitoringSamplesChanges, sampleSettingsChanges } from '../../../functions/domain/loosening.js';
import { DEFAULT_POLICY } from '../../../functions/domain/policy.js';
import { policyLoosenings } from '../../../functions/domain/policy-version.js';
import {
  applyWaivers,
  assertMayDecide,
  assertMayWithdraw,
  assertOpen,
  blockingInAnyEnvironment,
  checkWaiverCodes,
  deciderRoleOf,
  incidentChangeRelaxation,
  NEVER_WAIVABLE,
  pendingRelaxations,
  type RelaxationActor,
  type RelaxationRequest,
  requestExpiry,
  sampleSettingsRelaxation,
  statusAt,
  supersededBecause,
  systemPatchRelaxation,
  waiverExpiry,
} from '../../../functions/domain/relaxation.js';
import { defaultSampleSettings, type SampleSettings, sampleSettingsHash } from '../../../functions/domain/samples.js';

const NOW = '2026-03-01T12:00:00.000Z';
const HASH = `sha256:${'a'.repeat(64)}`;

function request(overrides: Partial<RelaxationRequest> = {}): RelaxationRequest {
  return {
    id: 'rlx_01',
    kind: 'risk-tier',
    systemId: 'sys_1',
    systemName: 'Triage',
    subject: { type: 'system', id: 'sys_1' },
    from: 'critical',
    to: 'low',
    reason: 'scope narrowed',
    requestedBy: { userId: 'omar.owner', name: 'Omar' },
    requestedAt: NOW,
    expiresAt: '2026-03-08T12:00:00.000Z',
    status: 'open',
    deciderRole: 'risk',
    decidedBy: null,
    decidedAt: null,
    decisionReason: null,
    version: 1,
    ...overrides,
  };
}

const rahul: RelaxationActor = { userId: 'rahul.risk', name: 'Rahul', roles: ['reviewer:risk'], teams: [] };

describe('what counts as a relaxation of a system', () => {
  it('treats lowering the risk tier as a relaxation bound to the current tier', () => {
    // Act
    const relaxation = systemPatchRelaxation({ riskTier: 'critical', euAiActCategory: 'high' }, { riskTier: 'low' });
    // Assess
    expect(relaxation).toEqual({ kind: 'risk-tier', from: 'critical', to: 'low' });
  });

  it('treats lowering the EU AI Act category as a relaxation', () => {
    const relaxation = systemPatchRelaxation(
      { riskTier: 'high', euAiActCategory: 'high' },
      { euAiActCategory: 'limited' },
    );
    expect(relaxation).toEqual({ kind: 'eu-ai-act-category', from: 'high', to: 'limited' });
  });

  it('applies raising a tier or category, and other fields, immediately (no relaxation)', () => {
    const system = { riskTier: 'medium', euAiActCategory: 'limited' } as const;
    expect(systemPatchRelaxation(system, { riskTier: 'critical' })).toBeNull();
    expect(systemPatchRelaxation(system, { euAiActCategory: 'high', description: 'x' })).toBeNull();
    expect(systemPatchRelaxation(system, { riskTier: 'medium' })).toBeNull();
  });

  it('refuses a patch that mixes a lowering with other changes with a 400 naming the field', () => {
    // Act
    const mixed = () =>
      systemPatchRelaxation({ riskTier: 'critical', euAiActCategory: 'high' }, { riskTier: 'low', owner: 'x' });
    const both = () =>
      systemPatchRelaxation(
        { riskTier: 'critical', euAiActCategory: 'high' },
        { riskTier: 'low', euAiActCategory: 'minimal' },
      );
    // Assess
    expect(mixed).toThrow(ValidationError);
    expect(mixed).toThrow(/separate/);
    expect(both).toThrow(ValidationError);
    try {
      mixed();
    } catch (error) {
      expect((error as ValidationError).detail.field).toBe('riskTier');
    }
  });
});

describe('what counts as a relaxation of an incident', () => {
  const system = { riskTier: 'high' } as const;

  it('treats resolving an unresolved incident of a blocking severity as a relaxation', () => {
    const relaxation = incidentChangeRelaxation(
      system,
      { severity: 'high', status: 'mitigating' },
      { type: 'resolve', resolution: 'fixed' },
    );
    expect(relaxation).toEqual({ kind: 'incident-resolution', from: 'high', to: 'resolved' });
  });

  it('resolves an incident of a severity that blocks nothing directly', () => {
    expect(
      incidentChangeRelaxation(system, { severity: 'medium', status: 'open' }, { type: 'resolve', resolution: 'x' }),
    ).toBeNull();
  });

  it('treats downgrading a blocking incident as a relaxation, and raising one as immediate', () => {
    expect(
      incidentChangeRelaxation(
        system,
        { severity: 'critical', status: 'open' },
        { type: 'patch', patch: { severity: 'low' } },
      ),
    ).toEqual({ kind: 'incident-severity', from: 'critical', to: 'low' });
    expect(
      incidentChangeRelaxation(
        system,
        { severity: 'high', status: 'open' },
        { type: 'patch', patch: { severity: 'critical' } },
      ),
    ).toBeNull();
    expect(
      incidentChangeRelaxation(
        system,
        { severity: 'medium', status: 'open' },
        { type: 'patch', patch: { severity: 'low' } },
      ),
    ).toBeNull();
  });

  it('refuses a downgrade mixed with other fields with a 400 naming severity', () => {
    const act = () =>
      incidentChangeRelaxation(
        system,
        { severity: 'high', status: 'open' },
        { type: 'patch', patch: { severity: 'low', title: 'quiet' } },
      );
    expect(act).toThrow(ValidationError);
  });

  it('uses the severities that block in either environment under the policy', () => {
    const policy = {
      ...DEFAULT_POLICY,
      incidentBlocking: {
        production: {
          low: [],
          medium: ['critical'],
          high: ['high', 'critical'],
          critical: ['medium', 'high', 'critical'],
        },
        staging: ['low'],
      },
    } as typeof DEFAULT_POLICY;
    expect(blockingInAnyEnvironment('high', policy)).toEqual(['low', 'high', 'critical']);
    expect(
      incidentChangeRelaxation(
        { riskTier: 'low' },
        { severity: 'low', status: 'open' },
        { type: 'resolve', resolution: 'x' },
        policy,
      ),
    ).toEqual({ kind: 'incident-resolution', from: 'low', to: 'resolved' });
  });

  it('never treats a resolved incident as a relaxation', () => {
    expect(
      incidentChangeRelaxation(
        system,
        { severity: 'high', status: 'resolved' },
        { type: 'patch', patch: { severity: 'low' } },
      ),
    ).toBeNull();
  });
});

describe('who may decide a relaxation request', () => {
  it('lets a risk reviewer outside the owning team decide a tier request', () => {
    expect(() => assertMayDecide(request(), rahul, 'support-ai')).not.toThrow();
    expect(deciderRoleOf('risk-tier')).toBe('risk');
    expect(deciderRoleOf('incident-resolution')).toBe('risk');
    expect(deciderRoleOf('waiver')).toBe('governance');
  });

  it('refuses the requester, a member of the owning team, a pipeline and a holder of the wrong role', () => {
    const self = { ...rahul, userId: 'omar.owner' };
    const teamMember = { ...rahul, teams: ['support-ai'] };
    const pipeline: RelaxationActor = { userId: 'ci', name: 'CI', roles: ['pipeline', 'reviewer:risk'], teams: [] };
    const governance: RelaxationActor = { ...rahul, roles: ['reviewer:governance'] };
    const admin: RelaxationActor = { ...rahul, roles: ['admin'] };
    for (const who of [self, teamMember, pipeline, governance, admin]) {
      expect(() => assertMayDecide(request(), who, 'support-ai')).toThrow(ForbiddenError);
    }
  });

  it('asks a governance reviewer for a waiver', () => {
    const waiver = request({ kind: 'waiver', deciderRole: 'governance' });
    expect(() => assertMayDecide(waiver, rahul, 'support-ai')).toThrow(/reviewer:governance/);
    expect(() => assertMayDecide(waiver, { ...rahul, roles: ['reviewer:governance'] }, 'support-ai')).not.toThrow();
  });

  it('lets only the requester or an admin withdraw', () => {
    expect(() => assertMayWithdraw(request(), { userId: 'omar.owner', roles: ['model_owner'] })).not.toThrow();
    expect(() => assertMayWithdraw(request(), { userId: 'ada.admin', roles: ['admin'] })).not.toThrow();
    expect(() => assertMayWithdraw(request(), { userId: 'rahul.risk', roles: ['reviewer:risk'] })).toThrow(
      ForbiddenError,
    );
  });
});

describe('expiry of requests and waivers', () => {
  it('expires a request after 7 days, and an open request past it reads as expired', () => {
    const expiresAt = requestExpiry(NOW, 'risk-tier');
    expect(expiresAt).toBe('2026-03-08T12:00:00.000Z');
    expect(statusAt(request({ expiresAt }), '2026-03-08T12:00:00.000Z')).toBe('expired');
    expect(statusAt(request({ expiresAt, status: 'approved' }), '2026-04-01T00:00:00.000Z')).toBe('approved');
  });

  it('refuses a decision on an expired or closed request with a 409', () => {
    expect(() => assertOpen(request(), '2026-03-09T00:00:00.000Z')).toThrow(ConflictError);
    expect(() => assertOpen(request({ status: 'rejected' }), NOW)).toThrow(/rejected/);
    expect(() => assertOpen(request(), NOW)).not.toThrow();
  });

  it('bounds a waiver: default 7 days, in the future, at most 30 days', () => {
    expect(waiverExpiry(NOW)).toBe('2026-03-08T12:00:00.000Z');
    expect(waiverExpiry(NOW, '2026-03-03T12:00:00Z')).toBe('2026-03-03T12:00:00.000Z');
    expect(() => waiverExpiry(NOW, '2026-02-28T12:00:00Z')).toThrow(ValidationError);
    expect(() => waiverExpiry(NOW, '2026-04-15T12:00:00Z')).toThrow(/at most 30 days/);
    expect(requestExpiry(NOW, 'waiver', '2026-03-03T12:00:00.000Z')).toBe('2026-03-03T12:00:00.000Z');
  });
});

describe('which codes a waiver may name', () => {
  it('refuses every code that can never be waived with a 400 naming them', () => {
    // Act
    let error: unknown;
    try {
      checkWaiverCodes(['EVAL_EXPIRED', ...NEVER_WAIVABLE]);
    } catch (e) {
      error = e;
    }
    // Assess
    expect(error).toBeInstanceOf(ValidationError);
    const detail = (error as ValidationError).detail;
    expect(detail.field).toBe('codes');
    expect(detail.neverWaivable).toEqual([...NEVER_WAIVABLE]);
    for (const code of NEVER_WAIVABLE) expect((error as Error).message).toContain(code);
  });

  it('refuses integrity codes too, and accepts the policy rules a reviewer may judge for one release', () => {
    expect(() => checkWaiverCodes(['SNAPSHOT_INELIGIBLE'])).toThrow(ValidationError);
    expect(checkWaiverCodes(['BLOCKING_INCIDENT_OPEN', 'EVAL_EXPIRED', 'EVAL_EXPIRED'])).toEqual([
      'BLOCKING_INCIDENT_OPEN',
      'EVAL_EXPIRED',
    ]);
  });
});

describe('binding a request to the value it changes', () => {
  const system = { riskTier: 'critical', euAiActCategory: 'high' } as const;

  it('holds while the bound value is unchanged, and names the change otherwise', () => {
    expect(supersededBecause(request(), { system })).toBeUndefined();
    expect(supersededBecause(request(), { system: { ...system, riskTier: 'high' } })).toMatch(/now high/);
  });

  it('binds an incident request to its severity while unresolved', () => {
    const r = request({
      kind: 'incident-resolution',
      from: 'high',
      to: 'resolved',
      subject: { type: 'incident', id: 'inc_1' },
    });
    expect(supersededBecause(r, { system, incident: { severity: 'high', status: 'mitigating' } })).toBeUndefined();
    expect(supersededBecause(r, { system, incident: { severity: 'critical', status: 'open' } })).toMatch(/critical/);
    expect(supersededBecause(r, { system, incident: { severity: 'high', status: 'resolved' } })).toMatch(/resolved/);
  });

  it('binds a waiver to the candidate snapshot hash', () => {
    const w = request({ kind: 'waiver', snapshotHash: HASH, subject: { type: 'candidate', id: 'rc_1' } });
    expect(supersededBecause(w, { system, candidate: { snapshotHash: HASH } })).toBeUndefined();
    expect(supersededBecause(w, { system, candidate: { snapshotHash: 'sha256:other' } })).toMatch(/snapshot/);
  });
});

describe('the gate and waivers', () => {
  const waiver = request({
    id: 'rlx_w',
    kind: 'waiver',
    status: 'approved',
    codes: ['BLOCKING_INCIDENT_OPEN'],
    snapshotHash: HASH,
    subject: { type: 'candidate', id: 'rc_1' },
    decidedBy: { userId: 'greta.governance', name: 'Greta' },
    expiresAt: '2026-03-02T00:00:00.000Z',
  });
  const reasons = [
    { code: 'APPROVALS_INCOMPLETE' as const, message: 'risk 0 of 1' },
    { code: 'BLOCKING_INCIDENT_OPEN' as const, message: '1 critical' },
  ];

  it('removes the waived codes and shows who waived them until when', () => {
    const out = applyWaivers(reasons, [waiver], HASH, NOW);
    expect(out.reasons.map((r) => r.code)).toEqual(['APPROVALS_INCOMPLETE']);
    expect(out.waived).toEqual([
      {
        code: 'BLOCKING_INCIDENT_OPEN',
        message: '1 critical',
        requestId: 'rlx_w',
        decidedBy: waiver.decidedBy,
        expiresAt: waiver.expiresAt,
      },
    ]);
    expect(out.used.map((w) => w.id)).toEqual(['rlx_w']);
  });

  it('does not waive with an expired, unapproved or other-snapshot waiver, nor a code never waivable', () => {
    const cases = [
      applyWaivers(reasons, [waiver], HASH, '2026-03-02T00:00:00.000Z'),
      applyWaivers(reasons, [{ ...waiver, status: 'open' }], HASH, NOW),
      applyWaivers(reasons, [waiver], 'sha256:other', NOW),
      applyWaivers(reasons, [{ ...waiver, codes: ['APPROVALS_INCOMPLETE'] }], HASH, NOW),
    ];
    for (const out of cases) {
      expect(out.reasons).toHaveLength(2);
      expect(out.waived).toEqual([]);
    }
  });

  it('lists open requests of the system as pending, but not expired ones or waivers of other candidates', () => {
    const pending = pendingRelaxations(
      [
        request({ id: 'rlx_a' }),
        request({ id: 'rlx_b', expiresAt: '2026-03-01T00:00:00.000Z' }),
        request({ id: 'rlx_c', kind: 'waiver', subject: { type: 'candidate', id: 'rc_other' } }),
        request({ id: 'rlx_d', kind: 'waiver', subject: { type: 'candidate', id: 'rc_1' } }),
      ],
      'rc_1',
      NOW,
    );
    expect(pending.map((p) => p.id)).toEqual(['rlx_a', 'rlx_d']);
  });
});

/** Settings with one pattern of the system's own, so that every field has a value to move either way. */
function settings(change: (s: SampleSettings) => void = () => {}): SampleSettings {
  const out: SampleSettings = {
    redaction: {
      builtIn: ['email', 'phone', 'card'],
      patterns: [{ name: 'claim', pattern: 'CLM-[0-9]{4}', ignoreCase: true }],
    },
    retentionDays: 30,
  };
  change(out);
  return out;
}

describe('what loosens the sample settings of a system', () => {
  const cases: { name: string; looser: (s: SampleSettings) => void; field: string }[] = [
    {
      name: 'switching the email rule off',
      looser: (s) => void s.redaction.builtIn.splice(0, 1),
      field: 'redaction.builtIn.email',
    },
    {
      name: 'switching the phone rule off',
      looser: (s) => void s.redaction.builtIn.splice(1, 1),
      field: 'redaction.builtIn.phone',
    },
    {
      name: 'switching the card rule off',
      looser: (s) => void s.redaction.builtIn.splice(2, 1),
      field: 'redaction.builtIn.card',
    },
    { name: 'removing a pattern', looser: (s) => void s.redaction.patterns.pop(), field: 'redaction.patterns.claim' },
    {
      name: 'no longer ignoring case in a pattern',
      looser: (s) => {
        s.redaction.patterns = [{ name: 'claim', pattern: 'CLM-[0-9]{4}', ignoreCase: false }];
      },
      field: 'redaction.patterns.claim.ignoreCase',
    },
    {
      name: 'lengthening retention',
      looser: (s) => {
        s.retentionDays = 31;
      },
      field: 'retentionDays',
    },
  ];

  for (const { name, looser, field } of cases) {
    it(`classifies ${name} as a loosening, and its reverse as a tightening`, () => {
      // Prepare
      const strict = settings();
      const loose = settings(looser);

      // Act
      const loosening = sampleSettingsChanges(strict, loose);
      const tightening = sampleSettingsChanges(loose, strict);

      // Assess
      expect(loosening.loosens.map((c) => c.field)).toEqual([field]);
      expect(loosening.tightens).toEqual([]);
      expect(tightening.tightens.map((c) => c.field)).toEqual([field]);
      expect(tightening.loosens).toEqual([]);
    });
  }

  it('classifies a changed expression as a loosening both ways: no expression is shown to match what another did', () => {
    // Act
    const changes = sampleSettingsChanges(
      settings(),
      settings((s) => {
        s.redaction.patterns = [{ name: 'claim', pattern: 'CLM-[0-9]{6}', ignoreCase: true }];
      }),
    );

    // Assess
    expect(changes).toEqual({
      loosens: [{ field: 'redaction.patterns.claim', from: 'CLM-[0-9]{4}', to: 'CLM-[0-9]{6}' }],
      tightens: [],
    });
  });

  it('finds nothing in equal settings, whatever the order of the built-in rules', () => {
    // Act
    const changes = sampleSettingsChanges(
      settings(),
      settings((s) => s.redaction.builtIn.reverse()),
    );

    // Assess
    expect(changes).toEqual({ loosens: [], tightens: [] });
    expect(sampleSettingsRelaxation(settings(), settings())).toBeNull();
  });

  it('makes a loosening a sample-settings relaxation bound to the hash of the settings in force', () => {
    // Prepare
    const current = defaultSampleSettings();
    const asked = { ...current, retentionDays: 90 };

    // Act
    const relaxation = sampleSettingsRelaxation(current, asked);

    // Assess
    expect(relaxation).toEqual({
      kind: 'sample-settings',
      from: sampleSettingsHash(current),
      to: sampleSettingsHash(asked),
      loosens: [{ field: 'retentionDays', from: 30, to: 90 }],
    });
    expect(sampleSettingsRelaxation(asked, current)).toBeNull();
  });

  it('refuses settings that loosen one field and tighten another with a 400 naming the loosened field', () => {
    // Act
    const refused = (() => {
      try {
        return sampleSettingsRelaxation(
          settings(),
          settings((s) => {
            s.retentionDays = 7;
            s.redaction.builtIn = ['email', 'card'];
          }),
        );
      } catch (error) {
        return error;
      }
    })();

    // Assess
    expect(refused).toBeInstanceOf(ValidationError);
    expect((refused as ValidationError).detail).toMatchObject({
      field: 'redaction.builtIn.phone',
      fields: ['redaction.builtIn.phone', 'retentionDays'],
    });
  });

  it('supersedes a sample-settings request once the settings it was bound to changed', () => {
    // Prepare
    const current = defaultSampleSettings();
    const bound = request({ kind: 'sample-settings', from: sampleSettingsHash(current), to: HASH });
    const system = { riskTier: 'high' as const, euAiActCategory: 'high' as const };

    // Act
    const holds = supersededBecause(bound, { system, sampleSettings: null });
    const changed = supersededBecause(bound, { system, sampleSettings: { ...current, retentionDays: 7 } });

    // Assess
    expect(holds).toBeUndefined();
    expect(changed).toMatch(/sample settings changed/);
  });
});

describe("what loosens the policy's monitoring.samples", () => {
  const base = { windowHours: 24, minSamples: 50, tolerance: 0.1, maxSamples: 2_000 };
  const cases: { field: keyof typeof base; looser: number }[] = [
    { field: 'tolerance', looser: 0.2 },
    { field: 'minSamples', looser: 60 },
    { field: 'windowHours', looser: 12 },
    { field: 'maxSamples', looser: 1_000 },
  ];

  for (const { field, looser } of cases) {
    it(`classifies ${field} ${base[field]} to ${looser} as a loosening, and back as a tightening`, () => {
      // Prepare
      const strict = { samples: base };
      const loose = { samples: { ...base, [field]: looser } };

      // Act
      const loosening = monitoringSamplesChanges(strict, loose);
      const tightening = monitoringSamplesChanges(loose, strict);

      // Assess
      expect(loosening).toEqual({
        loosens: [{ field: `monitoring.samples.${field}`, from: base[field], to: looser }],
        tightens: [],
      });
      expect(tightening).toEqual({
        loosens: [],
        tightens: [{ field: `monitoring.samples.${field}`, from: looser, to: base[field] }],
      });
    });
  }

  it('reads an absent section as the defaults, so stating them changes nothing', () => {
    // Act
    const changes = monitoringSamplesChanges({}, { samples: base });

    // Assess
    expect(changes).toEqual({ loosens: [], tightens: [] });
  });

  it('lists what a draft loosens against the document in force, and nothing without one', () => {
    // Prepare
    const active = { monitoring: { ...DEFAULT_POLICY.monitoring } };
    const draft = {
      monitoring: { ...DEFAULT_POLICY.monitoring, samples: { ...base, tolerance: 0.5, windowHours: 48 } },
    };

    // Act
    const found = policyLoosenings(active, draft);

    // Assess
    expect(found).toEqual([{ field: 'monitoring.samples.tolerance', from: 0.1, to: 0.5 }]);
    expect(policyLoosenings(null, draft)).toEqual([]);
  });
});
