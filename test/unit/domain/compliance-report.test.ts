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
});
