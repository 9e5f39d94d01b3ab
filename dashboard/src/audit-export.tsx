// The audit page's export (issue 18, item 6; ADR 0044): the whole filtered range, not the events loaded, written by
// a background job. Start it, watch its progress, then download the JSON Lines and CSV objects through the presigned
// links its status gives (valid for minutes: the status is read again before they expire).
import { useMutation, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { api } from './api';
import { ProblemView } from './ui';

interface AuditExportAnswer {
  id: string;
  status: 'running' | 'succeeded' | 'failed';
  events: number;
  bytes: { jsonl: number; csv: number } | null;
  error: string | null;
  downloads: { format: 'jsonl' | 'csv'; url: string; expiresAt: string }[];
}

const FORMAT_LABELS = { jsonl: 'JSON Lines', csv: 'CSV' } as const;

function size(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/** Starts an export of `filters` and shows it to the end; a new start replaces the one shown. */
export function AuditExport({ filters }: { filters: Record<string, string | undefined> }) {
  const [exportId, setExportId] = useState<string | null>(null);
  const start = useMutation({
    mutationFn: () =>
      api.post<AuditExportAnswer>(
        '/api/audit-exports',
        Object.fromEntries(Object.entries(filters).filter(([, v]) => v !== undefined)),
      ),
    onSuccess: (started) => setExportId(started.id),
  });
  const job = useQuery({
    queryKey: ['audit-export', exportId],
    enabled: exportId !== null,
    queryFn: () => api.get<AuditExportAnswer>(`/api/audit-exports/${exportId}`),
    // Poll while it runs; once done, read it again before its links expire (5 minutes).
    refetchInterval: (query) => (query.state.data?.status === 'running' ? 1000 : 240_000),
  });
  const done = job.data?.status === 'succeeded' ? job.data : undefined;
  const running = start.isPending || job.data?.status === 'running' || (exportId !== null && job.isPending);
  return (
    <div className="audit-export" aria-live="polite">
      <button type="button" onClick={() => start.mutate()} disabled={running}>
        {running ? 'Exporting …' : 'Export the filtered range'}
      </button>
      <span className="muted small"> every matching event, not only those loaded (JSON Lines and CSV)</span>
      {start.isError ? <ProblemView error={start.error} /> : null}
      {job.isError ? <ProblemView error={job.error} /> : null}
      {job.data?.status === 'running' ? (
        <p className="small" role="status">
          Export running: {job.data.events.toLocaleString('en')} events written so far …
        </p>
      ) : null}
      {job.data?.status === 'failed' ? (
        <div className="problem" role="alert">
          The export failed: {job.data.error}
        </div>
      ) : null}
      {done ? (
        <p className="small" role="status">
          Exported {done.events.toLocaleString('en')} events:{' '}
          {done.downloads.map((d, i) => (
            <span key={d.format}>
              {i > 0 ? ' · ' : ''}
              <a href={d.url} download>
                Download {FORMAT_LABELS[d.format]}
              </a>{' '}
              ({size(done.bytes?.[d.format] ?? 0)})
            </span>
          ))}
          <span className="muted"> (links renew every few minutes; the export is kept for a day)</span>
        </p>
      ) : null}
    </div>
  );
}
