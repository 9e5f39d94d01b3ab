// The audit export's pure parts (ADR 0044): who may export, the CSV encoding (RFC 4180, formulas defused) and the
// JSON Lines record.
import { describe, expect, it } from 'vitest';
import {
  AUDIT_CSV_COLUMNS,
  assertCanExportAudit,
  auditCsvHeader,
  auditEventCsvLine,
  auditEventJsonLine,
  auditExportExpiry,
  csvField,
} from '../../../functions/domain/audit-export.js';
import { ForbiddenError } from '../../../functions/domain/errors.js';
import type { AuditEvent, Principal } from '../../../functions/domain/types.js';

const principal = (roles: Principal['roles']): Principal => ({ userId: 'u', name: 'U', roles, teams: [], systems: [] });

const event: AuditEvent = {
  systemId: 'sys_1',
  seq: 7,
  prevHash: 'a'.repeat(64),
  hash: 'b'.repeat(64),
  action: 'release.promoted',
  entityType: 'candidate',
  entityId: 'rc_1',
  actor: { userId: 'ada.admin', name: 'Ada, "the" Admin', roles: ['admin', 'auditor'] },
  at: '2026-12-07T10:00:00.000Z',
  before: null,
  after: { status: 'active', note: 'line one\nline two' },
  reason: '=cmd|calc',
};

describe('the audit export', () => {
  it('lets admins and auditors export, and refuses reviewers, owners and pipelines with a 403', () => {
    // Act and Assess
    expect(() => assertCanExportAudit(principal(['admin']))).not.toThrow();
    expect(() => assertCanExportAudit(principal(['auditor']))).not.toThrow();
    for (const roles of [['reviewer:risk'], ['model_owner'], ['pipeline'], []] as Principal['roles'][]) {
      expect(() => assertCanExportAudit(principal(roles))).toThrow(ForbiddenError);
    }
  });

  it('quotes a CSV field holding a comma, a quote, CR or LF, doubling its quotes, and leaves others bare', () => {
    // Act and Assess
    expect(csvField('plain text')).toBe('plain text');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "yes"')).toBe('"say ""yes"""');
    expect(csvField('one\ntwo')).toBe('"one\ntwo"');
    expect(csvField('one\r\ntwo')).toBe('"one\r\ntwo"');
    expect(csvField(null)).toBe('');
    expect(csvField(12)).toBe('12');
  });

  it('prefixes text a spreadsheet would run as a formula with a single quote', () => {
    // Act and Assess
    expect(['=1+1', '+1', '-1', '@SUM(A1)', '\tx'].map(csvField)).toEqual(["'=1+1", "'+1", "'-1", "'@SUM(A1)", "'\tx"]);
    expect(csvField('=HYPERLINK("x","y")')).toBe('"\'=HYPERLINK(""x"",""y"")"');
  });

  it('writes one CSV line per event in the header columns, with before and after as JSON text', () => {
    // Act
    const header = auditCsvHeader();
    const line = auditEventCsvLine(event);

    // Assess
    expect(header).toBe(`${AUDIT_CSV_COLUMNS.join(',')}\r\n`);
    expect(line.endsWith('\r\n')).toBe(true);
    expect(line).toContain('"Ada, ""the"" Admin"');
    expect(line).toContain('admin auditor');
    expect(line).toContain("'=cmd|calc");
    expect(line).toContain('"{""status"":""active"",""note"":""line one\\nline two""}"');
  });

  it('writes the event as one JSON line, exactly as stored', () => {
    // Act
    const line = auditEventJsonLine(event);

    // Assess
    expect(line.endsWith('\n')).toBe(true);
    expect(line.slice(0, -1).includes('\n')).toBe(false);
    expect(JSON.parse(line)).toEqual(event);
  });

  it('keeps a job for a day from its start', () => {
    // Act and Assess
    expect(auditExportExpiry('2026-12-07T10:00:00.000Z')).toBe(Date.parse('2026-12-08T10:00:00.000Z') / 1000);
  });
});
