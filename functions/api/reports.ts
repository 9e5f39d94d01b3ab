// Compliance documents generated from the live registry: the EU AI Act report of one system as a PDF. Read access,
// as for every system read: owners of the system, reviewers, admins and auditors may download it.
import { createHash } from 'node:crypto';
import { type ArchiveCheck, buildComplianceReport } from '../domain/compliance-report.js';
import { renderEuAiActPdf } from '../reports/eu-ai-act-pdf.js';
import { systemFor } from './access.js';
import { ARCHIVE_NOT_CONFIGURED, archiveReader } from './archive-reader.js';
import { lambdaDeps } from './deps.js';
import { createHttpHandler, type Request, type Route, route } from './http.js';

export const routes: Route[] = [
  route({
    method: 'GET',
    path: '/api/systems/{id}/reports/eu-ai-act',
    summary:
      'The EU AI Act compliance report of a system (PDF), generated from the registry at the time of the request',
    response: {
      status: 200,
      contentType: 'application/pdf',
      description:
        'A PDF: purpose, owners, risk, version history, data, evaluations, oversight, approvals, incidents, ' +
        'monitoring and the audit chain status. x-report-content-hash names the hash printed in its footer.',
    },
    handle: async (req) => {
      const system = await systemFor(req, req.params.id, 'read');
      const [inputs, archive] = await Promise.all([
        req.deps.store.reports.reportInputs(system.id),
        archiveStatus(req, system.id),
      ]);
      const report = buildComplianceReport({
        ...inputs,
        archive,
        generatedAt: new Date().toISOString(),
        generatedBy: `${req.principal.name} (${req.principal.userId})`,
      });
      const pdf = await renderEuAiActPdf(report);
      const day = report.generatedAt.slice(0, 10);
      return {
        status: 200,
        body: pdf,
        headers: {
          'content-type': 'application/pdf',
          'content-disposition': `attachment; filename="eu-ai-act-report-${system.id}-${day}.pdf"`,
          'x-report-content-hash': report.contentHash,
          'repr-digest': `sha-256=:${createHash('sha256').update(pdf).digest('base64')}:`,
        },
      };
    },
  }),
];

/** The archive's state as GET /api/audit-events/verify reports it; a failing archive read does not fail the report. */
async function archiveStatus(req: Request<unknown, unknown>, systemId: string): Promise<ArchiveCheck> {
  const reader = await archiveReader(req.deps);
  if (!reader) return ARCHIVE_NOT_CONFIGURED;
  try {
    return await reader(systemId);
  } catch (error) {
    return { status: 'unavailable', detail: `the archive could not be read: ${(error as Error).name}` };
  }
}

export const handler = createHttpHandler(routes, lambdaDeps());
