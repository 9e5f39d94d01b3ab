// What a failed monitoring run does, as the policy says: the validation of `monitoring.onFailure` (and of the older
// `requestRollback` it replaces) and the pure decision between an incident, a rollback request and a rollback.
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../functions/domain/errors.js';
import {
  decideMonitoringResponse,
  type MonitoringRollbackPlan,
  monitoringFailureAction,
} from '../../../functions/domain/monitoring.js';
import { DEFAULT_POLICY, validatePolicy } from '../../../functions/domain/policy.js';
import { type RollbackValidationOutcome, rollbackValidationDecision } from '../../../functions/domain/rollback.js';

function docWithMonitoring(monitoring: Record<string, unknown>): Record<string, unknown> {
  const doc = JSON.parse(JSON.stringify(DEFAULT_POLICY)) as Record<string, unknown>;
  const { onFailure: _default, ...rest } = doc.monitoring as Record<string, unknown>;
  doc.monitoring = { ...rest, ...monitoring };
  return doc;
}

function problemsOf(doc: unknown): string[] {
  try {
    validatePolicy(doc);
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).status).toBe(400);
    return (error as ValidationError).detail.problems as string[];
  }
  throw new Error('expected the policy to be rejected');
}

const passed: RollbackValidationOutcome = rollbackValidationDecision({
  riskTier: 'high',
  evalRunId: 'run_v',
  passed: true,
});
const blocked: RollbackValidationOutcome = rollbackValidationDecision({
  riskTier: 'high',
  evalRunId: 'run_v',
  passed: false,
  reasons: ['accuracy 0.4 below minimum 0.8'],
});
const plan: MonitoringRollbackPlan = { targetId: 'rc_lkg', validation: passed };

describe('the policy’s monitoring.onFailure', () => {
  it('accepts one action per risk tier that grows stricter with the tier', () => {
    // Prepare
    const onFailure = { low: 'incident', medium: 'request-rollback', high: 'rollback', critical: 'rollback' };

    // Act
    const policy = validatePolicy(docWithMonitoring({ onFailure }));

    // Assess
    expect(policy.monitoring.onFailure).toEqual(onFailure);
    expect(monitoringFailureAction('high', policy.monitoring)).toBe('rollback');
    expect(monitoringFailureAction('low', policy.monitoring)).toBe('incident');
  });

  it('reads an older document’s requestRollback true as a rollback request on every tier', () => {
    // Act
    const requested = validatePolicy(docWithMonitoring({ requestRollback: true }));
    const notRequested = validatePolicy(docWithMonitoring({ requestRollback: false }));

    // Assess
    expect(requested.monitoring.onFailure).toEqual({
      low: 'request-rollback',
      medium: 'request-rollback',
      high: 'request-rollback',
      critical: 'request-rollback',
    });
    expect(notRequested.monitoring.onFailure).toEqual(DEFAULT_POLICY.monitoring.onFailure);
    expect(requested.monitoring).not.toHaveProperty('requestRollback');
  });

  it('defaults a monitoring block with neither field to an incident only', () => {
    // Act
    const policy = validatePolicy(docWithMonitoring({}));

    // Assess
    expect(policy.monitoring.onFailure).toEqual({
      low: 'incident',
      medium: 'incident',
      high: 'incident',
      critical: 'incident',
    });
  });

  it('refuses a higher tier handled more loosely than a lower one, naming the field', () => {
    // Prepare
    const doc = docWithMonitoring({
      onFailure: { low: 'incident', medium: 'rollback', high: 'request-rollback', critical: 'incident' },
    });

    // Act
    const problems = problemsOf(doc);

    // Assess
    expect(problems).toEqual([
      'monitoring.onFailure.high must not be looser than monitoring.onFailure.medium (rollback)',
      'monitoring.onFailure.critical must not be looser than monitoring.onFailure.high (request-rollback)',
    ]);
  });

  it('refuses an unknown action, an unknown tier and a missing tier, naming each field', () => {
    // Prepare
    const doc = docWithMonitoring({
      onFailure: { low: 'page-someone', medium: 'incident', high: 'rollback', extreme: 'rollback' },
    });

    // Act
    const problems = problemsOf(doc);

    // Assess
    expect(problems).toEqual([
      'monitoring.onFailure has unknown risk tiers: extreme',
      'monitoring.onFailure.low must be incident, request-rollback or rollback',
      'monitoring.onFailure.critical must be incident, request-rollback or rollback',
    ]);
  });

  it('refuses a document that gives both requestRollback and onFailure, and a requestRollback that is no boolean', () => {
    // Prepare
    const both = docWithMonitoring({ requestRollback: true, onFailure: DEFAULT_POLICY.monitoring.onFailure });
    const notBoolean = docWithMonitoring({ requestRollback: 'yes' });

    // Act
    const problems = [problemsOf(both), problemsOf(notBoolean)];

    // Assess
    expect(problems).toEqual([
      ['monitoring.requestRollback must not be given with monitoring.onFailure, which replaces it'],
      ['monitoring.requestRollback must be true or false'],
    ]);
  });
});

describe('what a failed monitoring run does', () => {
  it('does nothing more when it opened no incident, whatever the policy says', () => {
    // Act
    const response = decideMonitoringResponse({ action: 'rollback', incidentsOpened: 0, plan });

    // Assess
    expect(response).toEqual({ kind: 'none' });
  });

  it('opens only the incident, or also requests a rollback, as the tier’s action says', () => {
    // Act
    const incident = decideMonitoringResponse({ action: 'incident', incidentsOpened: 1, plan: null });
    const request = decideMonitoringResponse({ action: 'request-rollback', incidentsOpened: 2, plan: null });

    // Assess
    expect(incident).toEqual({ kind: 'incident' });
    expect(request).toEqual({ kind: 'request-rollback', fallbackReason: null });
  });

  it('rolls back to the prepared last-known-good release when its validation lets it proceed', () => {
    // Prepare
    const warned = rollbackValidationDecision({ riskTier: 'low', evalRunId: 'run_v', passed: false, reasons: ['x'] });

    // Act
    const response = decideMonitoringResponse({ action: 'rollback', incidentsOpened: 1, plan });
    const withWarning = decideMonitoringResponse({
      action: 'rollback',
      incidentsOpened: 1,
      plan: { targetId: 'rc_lkg', validation: warned },
    });

    // Assess
    expect(response).toEqual({ kind: 'rollback', targetId: 'rc_lkg', validation: passed });
    expect(withWarning).toMatchObject({ kind: 'rollback', validation: { decision: 'warn' } });
  });

  it('falls back to a rollback request and says why when there is no last-known-good release', () => {
    // Act
    const response = decideMonitoringResponse({
      action: 'rollback',
      incidentsOpened: 1,
      plan: { unavailable: 'no earlier release of production is eligible: none is superseded and previously active' },
    });

    // Assess
    expect(response).toEqual({
      kind: 'request-rollback',
      fallbackReason:
        'no automatic rollback: no earlier release of production is eligible: none is superseded and previously active',
    });
  });

  it('falls back to a rollback request when the validation blocks or the history changed since the plan', () => {
    // Act
    const validationBlocks = decideMonitoringResponse({
      action: 'rollback',
      incidentsOpened: 1,
      plan: { targetId: 'rc_lkg', validation: blocked },
    });
    const historyChanged = decideMonitoringResponse({
      action: 'rollback',
      incidentsOpened: 1,
      plan,
      blocked: 'rc_1 is no longer the active production release',
    });

    // Assess
    expect(validationBlocks).toEqual({
      kind: 'request-rollback',
      fallbackReason: `no automatic rollback: ${blocked.message}`,
    });
    expect(historyChanged).toEqual({
      kind: 'request-rollback',
      fallbackReason: 'no automatic rollback: rc_1 is no longer the active production release',
    });
  });
});
