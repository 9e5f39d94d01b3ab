// The PDF renderer: a real PDF whose extracted text holds the report's figures, page numbers and content hash.
import { PDFParse } from 'pdf-parse';
import { describe, expect, it } from 'vitest';
import { buildComplianceReport } from '../../../functions/domain/compliance-report.js';
import { printable, renderEuAiActPdf } from '../../../functions/reports/eu-ai-act-pdf.js';
import { reportInput } from './report-fixture.js';

describe('the EU AI Act PDF', () => {
  it('is a PDF whose text holds the figures, reviewers, incident, chain status and content hash', async () => {
    const report = buildComplianceReport(reportInput());

    const pdf = await renderEuAiActPdf(report);
    const parsed = await new PDFParse({ data: new Uint8Array(pdf) }).getText();
    const text = parsed.text.replace(/\s+/g, ' ');

    expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    expect(text).toContain('Consumer Support Triage Assistant');
    expect(text).toContain('0.9125');
    expect(text).toContain('0.003412');
    expect(text).toContain('Tessa Technical');
    expect(text).toContain('Billing tickets misrouted');
    expect(text).toContain('Table chain verification verified');
    expect(text).toContain('Governance policy');
    expect(text).toContain('Version in force v3');
    expect(text).toContain('Activated by Gus Governance (gus.governance)');
    expect(text).toContain(report.contentHash);
    expect(text).toMatch(new RegExp(`Page 1 of ${parsed.total}`));
    expect(parsed.total).toBeGreaterThan(1);
  });

  it('repeats a long table over pages with its header on each', async () => {
    const input = reportInput();
    const base = input.datasets[0];
    if (!base) throw new Error('fixture has a dataset');
    input.datasets = Array.from({ length: 120 }, (_, i) => ({ ...base, id: `ds_${i}`, version: i + 1 }));

    const parsed = await new PDFParse({
      data: new Uint8Array(await renderEuAiActPdf(buildComplianceReport(input))),
    }).getText();

    const headers = parsed.pages.filter((p) => p.text.includes('Content hash (SHA-256) Created')).length;
    expect(headers).toBeGreaterThan(1);
    expect(parsed.text).toContain('triage-baseline v120');
  });

  it('spells out symbols the standard fonts lack and keeps Latin-1 and WinAnsi text', () => {
    expect(printable('a → b ≥ 0.8 — Zürich €5 ✓ 漢')).toBe('a -> b >= 0.8 — Zürich €5 ok ?');
  });
});
