// @vitest-environment happy-dom
import { cleanup, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { dispositionName } from '../api';
import { candidate, candidateContext, RC, SYS, system } from './fixtures';
import { fakeApi, fakeToken, get, renderAt } from './harness';

const AUDITOR = fakeToken({ sub: 'aud.auditor', name: 'Aud Auditor', roles: ['auditor'] });
const PDF = new TextEncoder().encode('%PDF-1.7\n1 0 obj <<>> endobj\n%%EOF\n');

/** What the browser was asked to save: the blobs behind object URLs and the clicked links' file names. */
let saved: { blobs: Blob[]; names: string[]; revoked: string[] };
const original = { create: URL.createObjectURL, revoke: URL.revokeObjectURL };

beforeEach(() => {
  saved = { blobs: [], names: [], revoked: [] };
  URL.createObjectURL = (blob: Blob) => {
    saved.blobs.push(blob);
    return `blob:dashboard.test/${saved.blobs.length}`;
  };
  URL.revokeObjectURL = (url: string) => void saved.revoked.push(url);
  vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
    saved.names.push(this.download);
  });
});

afterEach(() => {
  cleanup();
  vi.restoreAllMocks();
  vi.unstubAllGlobals();
  URL.createObjectURL = original.create;
  URL.revokeObjectURL = original.revoke;
  sessionStorage.clear();
});

/** The headers of the fetch calls to `path`, to check the bearer token went with them. */
function authorizationOf(path: string): (string | undefined)[] {
  return vi
    .mocked(fetch)
    .mock.calls.filter(([input]) => String(input) === path)
    .map(([, init]) => (init?.headers as Record<string, string> | undefined)?.authorization);
}

describe('document downloads', () => {
  it('saves the system model card (JSON) and the EU AI Act report (PDF) with the bearer token', async () => {
    const card = { schemaVersion: '1.0', system: { id: SYS } };
    fakeApi(get(`/api/systems/${SYS}`, system()), get(`/api/systems/${SYS}/model-card`, card), (url) =>
      url.pathname === `/api/systems/${SYS}/reports/eu-ai-act`
        ? {
            body: PDF,
            raw: true,
            contentType: 'application/pdf',
            headers: { 'content-disposition': 'attachment; filename="eu-ai-act-triage.pdf"' },
          }
        : undefined,
    );
    renderAt(`/systems/${SYS}`, AUDITOR);
    const documents = await screen.findByRole('region', { name: 'Compliance documents' });

    await userEvent.click(within(documents).getByRole('button', { name: 'Model card (JSON)' }));
    expect((await within(documents).findByRole('status')).textContent).toBe(`Saved model-card-${SYS}.json.`);
    await userEvent.click(within(documents).getByRole('button', { name: 'EU AI Act report (PDF)' }));
    expect((await within(documents).findByText('Saved eu-ai-act-triage.pdf.')).textContent).toBeTruthy();

    expect(saved.names).toEqual([`model-card-${SYS}.json`, 'eu-ai-act-triage.pdf']);
    expect(JSON.parse(await (saved.blobs[0] as Blob).text())).toEqual(card);
    expect(saved.blobs[1]?.type).toBe('application/pdf');
    expect(new Uint8Array(await (saved.blobs[1] as Blob).arrayBuffer())).toEqual(PDF);
    expect(authorizationOf(`/api/systems/${SYS}/model-card`)).toEqual([`Bearer ${AUDITOR}`]);
    expect(authorizationOf(`/api/systems/${SYS}/reports/eu-ai-act`)).toEqual([`Bearer ${AUDITOR}`]);
    await vi.waitFor(() => expect(saved.revoked).toEqual(['blob:dashboard.test/1', 'blob:dashboard.test/2']));
  });

  it('shows the problem document when the API refuses, and saves nothing', async () => {
    fakeApi(
      get(`/api/systems/${SYS}`, system()),
      get(
        `/api/systems/${SYS}/model-card`,
        {
          type: '/problems/not-found',
          title: 'Not Found',
          status: 404,
          detail: 'the system has no release candidate to describe',
        },
        404,
      ),
    );
    renderAt(`/systems/${SYS}`, AUDITOR);
    const documents = await screen.findByRole('region', { name: 'Compliance documents' });
    await userEvent.click(within(documents).getByRole('button', { name: 'Model card (JSON)' }));
    const alert = await within(documents).findByRole('alert');
    expect(alert.textContent).toContain('Not Found (404)');
    expect(alert.textContent).toContain('the system has no release candidate to describe');
    expect(saved.blobs).toEqual([]);
    expect(saved.names).toEqual([]);
  });

  it("saves a release candidate's model card from the candidate page", async () => {
    fakeApi(
      get(`/api/release-candidates/${RC}`, candidate()),
      get(`/api/release-candidates/${RC}/context`, candidateContext()),
      get(`/api/systems/${SYS}`, system()),
      get(`/api/release-candidates/${RC}/model-card`, { schemaVersion: '1.0', release: { id: RC } }),
    );
    renderAt(`/candidates/${RC}`, AUDITOR);
    await userEvent.click(await screen.findByRole('button', { name: 'Model card' }));
    expect((await screen.findByText(`Saved model-card-${RC}.json.`)).textContent).toBeTruthy();
    expect(saved.names).toEqual([`model-card-${RC}.json`]);
    expect(authorizationOf(`/api/release-candidates/${RC}/model-card`)).toEqual([`Bearer ${AUDITOR}`]);
  });

  it('reads the file name of a Content-Disposition header, plain or RFC 5987 encoded', () => {
    expect(dispositionName('attachment; filename="report.pdf"')).toBe('report.pdf');
    expect(dispositionName("attachment; filename*=UTF-8''model%20card.json")).toBe('model card.json');
    expect(dispositionName('inline')).toBeNull();
    expect(dispositionName(null)).toBeNull();
  });
});
