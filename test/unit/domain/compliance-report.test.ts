// The EU AI Act report model: built from plain records, every figure is the stored one, and its content hash
// changes with the content.
import { describe, expect, it } from 'vitest';
import { activeSpans, buildComplianceReport } from '../../../functions/domain/compliance-report.js';
import { reportInput } from '../reports/report-fixture.js';

const texts = (report: ReturnType<typeof buildComplianceReport>) => JSON.stringify(report.sections);

describe('the compliance report model', () => {
  it('has the sections the EU AI Act asks for, each with its reference', () => {
    const report = buildComplianceReport(reportInput());

    expect(report.sections.map((s) => s.id)).toEqual([
      'identification',
      'provider',
      'risk',
      'versions',
      'data',
      'evaluation',
      'oversight',
      'policy',
      'approvals',
      'incidents',
      'monitoring',
      'records',
    ]);
    expect(report.sections.every((s) => s.reference.length > 0)).toBe(true);
  });

  it('shows the stored metrics against their thresholds and the reviewers who approved', () => {
    const text = texts(buildComplianceReport(reportInput()));

    expect(text).toContain('["accuracy","min","0.8","0.9125","pass"]');
    expect(text).toContain('["costMeanUsd","max","0.01","0.003412","pass"]');
    expect(text).toContain('Tessa Technical');
    expect(text).toContain('Priya Product');
    expect(text).toContain('Queues match the handbook.');
  });

  it('renders the serious-incident clock when an incident carries one, and marks it overdue', () => {
    const text = texts(buildComplianceReport(reportInput()));

    expect(text).toContain('category health');
    expect(text).toContain('2026-03-16 09:00:00 UTC');
    expect(text).toContain('OVERDUE by');
    expect(text).toContain('Member State","DE"');
  });

  it('says which release was active in each environment and until when', () => {
    const spans = activeSpans(reportInput().promotions);

    expect(spans.map((s) => [s.environment, s.candidateId, s.kind, s.until])).toEqual([
      ['production', 'rc_1', 'promote', '2026-03-05T10:00:00.000Z'],
      ['production', 'rc_2', 'promote', '2026-03-06T10:00:00.000Z'],
      ['production', 'rc_1', 'rollback', null],
    ]);
  });

  it("prints the archive's state with what each figure means, and says when no archive is configured", () => {
    const archived = texts(buildComplianceReport(reportInput()));
    const none = texts(buildComplianceReport({ ...reportInput(), archive: { status: 'not_configured', detail: 'x' } }));

    expect(archived).toContain('["Archive status","ok"]');
    expect(archived).toContain('["Archived up to seq","12"]');
    expect(archived).toContain('["Sealed by a digest up to seq","10"]');
    expect(none).toContain('["Archive status","not_configured"]');
  });

  it('reports a broken chain as broken', () => {
    const input = reportInput();
    input.chain = { ...input.chain, ok: false, brokenAt: { seq: 3, reason: 'HASH_MISMATCH', message: 'bad hash' } };

    const text = texts(buildComplianceReport(input));

    expect(text).toContain('"Table chain verification","BROKEN"');
    expect(text).toContain('seq 3: HASH_MISMATCH');
  });

  it('hashes its content: another generation time gives another hash, the same input the same hash', () => {
    const a = buildComplianceReport(reportInput());
    const b = buildComplianceReport(reportInput());
    const c = buildComplianceReport({ ...reportInput(), generatedAt: '2026-04-02T00:00:00.000Z' });

    expect(a.contentHash).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(b.contentHash).toBe(a.contentHash);
    expect(c.contentHash).not.toBe(a.contentHash);
  });

  it("names the policy version in force and every version in force during the system's life, not the others", () => {
    const report = buildComplianceReport(reportInput());
    const section = report.sections.find((s) => s.id === 'policy');
    const text = JSON.stringify(section);

    expect(section?.title).toBe('Governance policy');
    expect(text).toContain('["Version in force","v3"]');
    expect(text).toContain('["Activated","2026-03-10 12:00:00 UTC"]');
    expect(text).toContain('["Activated by","Gus Governance (gus.governance)"]');
    expect(text).toContain(`["Document hash (SHA-256)","${'3'.repeat(64)}"]`);
    const table = section?.blocks.find((b) => b.kind === 'table');
    expect(table?.kind === 'table' && table.rows.map((r) => [r[0], r[3]])).toEqual([
      ['v2', '2026-03-10 12:00:00 UTC'],
      ['v3', 'in force'],
    ]);
  });

  it('states the rules of the policy in force rather than the default: roles, review interval, blocking incidents', () => {
    const input = reportInput();
    input.policy = {
      ...input.policy,
      tiers: { ...input.policy.tiers, high: ['technical', 'product', 'risk', 'governance'] },
      reviewIntervalDays: { ...input.policy.reviewIntervalDays, high: 45 },
      blockingSeverities: ['medium', 'high', 'critical'],
    };

    const text = texts(buildComplianceReport(input));

    expect(text).toContain('["Approvals required for production","technical, product, risk, governance"]');
    expect(text).toContain('["Governance review interval","45 days"]');
    expect(text).toContain('["Review interval","45 days (high tier)"]');
    expect(text).toContain('an incident of severity medium or high or critical is open');
  });
});
