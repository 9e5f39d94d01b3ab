// The EU AI Act Art. 73 reporting clock as the store keeps it: the deadline is computed, never taken from input;
// recording the reports moves the status, every change is audited, and the overview lists the deadlines coming due.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIncidentRequest, patchIncidentRequest } from '../../../functions/contracts/index.js';
import { InvalidTransitionError, ValidationError } from '../../../functions/domain/errors.js';
import { reportingStatus } from '../../../functions/domain/incident-clock.js';
import type { Incident } from '../../../functions/domain/types.js';
import type { IncidentInput } from '../../../functions/store/incidents.js';
import type { GovernanceStore } from '../../../functions/store/index.js';
import { systemInput } from '../../support/fixtures.js';
import { owner } from '../../support/lifecycle.js';
import { createTestStore } from '../../support/store.js';

const HOUR = 3_600_000;

describe('the serious-incident clock in the store', () => {
  let store: GovernanceStore;
  let drop: () => Promise<void>;
  let now = new Date('2026-05-04T09:00:00.000Z');
  let systemId: string;

  beforeAll(async () => {
    ({ store, drop } = await createTestStore({ now: () => now }));
    ({
      system: { id: systemId },
    } = await store.systems.createSystem(owner, systemInput({ name: 'Evidence Extractor (clock test)' })));
  });
  afterAll(async () => drop());

  const open = (over: Partial<IncidentInput> = {}) =>
    store.incidents.openIncident(owner, {
      systemId,
      title: 'Claims assessed on amounts without currency',
      description: '',
      severity: 'high',
      ...over,
    });

  it('computes the deadline from the category and aware-at time, and ignores a deadline sent with them', async () => {
    // Prepare: the API contract refuses a client's deadline; the store does not read one either.
    const forged = {
      category: 'death',
      awareAt: '2026-05-03T21:30:00.000Z',
      memberState: 'DE',
      reportingDeadline: '2030-01-01T00:00:00.000Z',
    };
    expect(
      createIncidentRequest.safeParse({ systemId, title: 't', severity: 'high', seriousIncident: forged }).success,
    ).toBe(false);
    expect(
      patchIncidentRequest.safeParse({ seriousIncident: { reportingDeadline: forged.reportingDeadline } }).success,
    ).toBe(false);

    // Act
    const incident = await open({ seriousIncident: forged as IncidentInput['seriousIncident'] });

    // Assess
    const stored = await store.incidents.getIncident(incident.id);
    expect(stored.seriousIncident).toEqual({
      category: 'death',
      awareAt: '2026-05-03T21:30:00.000Z',
      reportingDeadline: '2026-05-13T21:30:00.000Z',
      memberState: 'DE',
      initialReportAt: null,
      finalReportAt: null,
      correctiveAction: null,
    });
    const events = await store.audit.listAuditEvents({ systemId }, { limit: 100 });
    const opened = events.items.find((e) => e.entityId === incident.id && e.action === 'incident.opened');
    expect(opened?.after).toMatchObject({ seriousIncident: { reportingDeadline: '2026-05-13T21:30:00.000Z' } });
  });

  it('moves from due to overdue to reported to closed, auditing each report, also after the incident is resolved', async () => {
    // Prepare: a widespread infringement (2 days), and another clock far out (15 days), outside the overview's week.
    now = new Date('2026-05-04T09:00:00.000Z');
    const incident = await open({
      title: 'Claims reduced in three Member States',
      seriousIncident: { category: 'widespread_infringement', awareAt: '2026-05-04T08:00:00.000Z', memberState: 'FR' },
    });
    const far = await open({
      severity: 'medium',
      seriousIncident: { category: 'property_or_environment', awareAt: '2026-05-04T08:00:00.000Z' },
    });
    const s = () => store.incidents.getIncident(incident.id).then((i) => i.seriousIncident);
    const listed = async () =>
      (await store.overview.registrySummary({ systemIds: [], visible: () => true })).reportingDeadlines.map((d) => [
        d.incidentId,
        d.status,
      ]);

    // Act and assess: due, then overdue an instant after the deadline.
    expect((await s())?.reportingDeadline).toBe('2026-05-06T08:00:00.000Z');
    expect(await listed()).toContainEqual([incident.id, 'due']);
    expect((await listed()).map(([id]) => id)).not.toContain(far.id);
    now = new Date(Date.parse('2026-05-06T08:00:00.000Z') + 1);
    expect(await listed()).toContainEqual([incident.id, 'overdue']);

    // The initial report stops the clock: reported, and gone from the overview.
    now = new Date('2026-05-06T10:00:00.000Z');
    const reported = await store.incidents.updateIncident(owner, incident.id, {
      seriousIncident: { initialReportAt: '2026-05-06T09:45:00.000Z' },
    });
    expect(reportingStatus(reported.seriousIncident as NonNullable<Incident['seriousIncident']>, now)).toBe('reported');
    expect((await listed()).map(([id]) => id)).not.toContain(incident.id);

    // Resolving the operational issue does not end the duty to report; the final report closes the clock.
    await store.incidents.resolveIncident(owner, incident.id, 'currency fallback deployed');
    now = new Date(now.getTime() + 48 * HOUR);
    const closed = await store.incidents.updateIncident(owner, incident.id, {
      seriousIncident: {
        finalReportAt: '2026-05-08T09:00:00.000Z',
        correctiveAction: 'Currency fallback and re-check',
      },
    });
    expect(reportingStatus(closed.seriousIncident as NonNullable<Incident['seriousIncident']>, now)).toBe('closed');
    expect(closed.status).toBe('resolved');

    // Every change is an audit event with the clock before and after; the chain still verifies.
    const events = (await store.audit.listAuditEvents({ systemId }, { limit: 100 })).items
      .filter((e) => e.entityId === incident.id && e.action === 'incident.updated')
      .sort((a, b) => a.seq - b.seq);
    expect(events.map((e) => [e.before?.seriousIncident, e.after?.seriousIncident])).toEqual([
      [
        expect.objectContaining({ initialReportAt: null }),
        expect.objectContaining({ initialReportAt: '2026-05-06T09:45:00.000Z' }),
      ],
      [
        expect.objectContaining({ finalReportAt: null, correctiveAction: null }),
        expect.objectContaining({ finalReportAt: '2026-05-08T09:00:00.000Z' }),
      ],
    ]);
    expect(events.every((e) => Object.keys(e.after ?? {}).join() === 'seriousIncident')).toBe(true);
    expect((await store.audit.verifyStoredChain(systemId)).ok).toBe(true);
  });

  it('declares an existing incident serious by a patch, refuses a no-op or impossible change, and keeps a resolved incident closed to other edits', async () => {
    now = new Date('2026-05-10T12:00:00.000Z');
    const incident = await open({ severity: 'low' });
    const declared = await store.incidents.updateIncident(owner, incident.id, {
      seriousIncident: { category: 'health', awareAt: '2026-05-10T11:00:00.000Z' },
    });
    expect(declared.seriousIncident?.reportingDeadline).toBe('2026-05-25T11:00:00.000Z');

    await expect(
      store.incidents.updateIncident(owner, incident.id, { seriousIncident: { category: 'health' } }),
    ).rejects.toThrow(/changes nothing/);
    await expect(
      store.incidents.updateIncident(owner, incident.id, {
        seriousIncident: { finalReportAt: '2026-05-10T11:30:00.000Z' },
      }),
    ).rejects.toBeInstanceOf(ValidationError);
    await expect(
      store.incidents.updateIncident(owner, (await open()).id, { seriousIncident: { category: 'death' } }),
    ).rejects.toThrow(/category and the time/);

    await store.incidents.resolveIncident(owner, incident.id, 'fixed');
    await expect(
      store.incidents.updateIncident(owner, incident.id, { title: 'renamed', seriousIncident: { category: 'death' } }),
    ).rejects.toBeInstanceOf(InvalidTransitionError);
  });
});
