// Where things live in the audit archive (a bucket, or a folder with the same keys). Keys are deterministic, so a
// retried write lands on the key it was meant for and an `If-None-Match: *` put turns a repeat into a 412.
//
//   audit/systems/<systemId>/batches/<firstSeq 12>-<lastSeq 12>.jsonl   events firstSeq..lastSeq, one per line
//   audit/digests/<digestSeq 10>.json                                    the signed digest chain
//   audit/keys/<sha256 of the public key's DER, hex>.pem                 the digest signing keys, for auditors
//
// A batch holds each event's canonical bytes (RFC 8785) followed by a newline. Batches of one system may overlap
// (at-least-once delivery re-batches): the same seq always has the same bytes, so an overlap is a raw duplicate,
// never a conflict. Batch keys sort by first seq, the order the verifier reads them in.

const ARCHIVE_PREFIX = 'audit/';
export const DIGEST_PREFIX = `${ARCHIVE_PREFIX}digests/`;
export const KEY_PREFIX = `${ARCHIVE_PREFIX}keys/`;
export const SYSTEMS_PREFIX = `${ARCHIVE_PREFIX}systems/`;
/** A batch never holds more events than this, so a listing from (seq - MAX_BATCH_EVENTS) finds every batch past seq. */
export const MAX_BATCH_EVENTS = 1000;
const SEQ_WIDTH = 12;
const DIGEST_WIDTH = 10;

const pad = (n: number, width: number) => String(n).padStart(width, '0');

export function systemPrefix(systemId: string): string {
  return `${SYSTEMS_PREFIX}${systemId}/batches/`;
}

export function batchKey(systemId: string, firstSeq: number, lastSeq: number): string {
  return `${systemPrefix(systemId)}${pad(firstSeq, SEQ_WIDTH)}-${pad(lastSeq, SEQ_WIDTH)}.jsonl`;
}

/** The listing start (exclusive) that yields every batch whose first seq is at least `seq`. */
export function batchListStart(systemId: string, seq: number): string {
  return `${systemPrefix(systemId)}${pad(Math.max(0, seq - 1), SEQ_WIDTH)}-~`;
}

const BATCH_KEY = /^audit\/systems\/([^/]+)\/batches\/(\d{12})-(\d{12})\.jsonl$/;

export interface BatchRef {
  key: string;
  systemId: string;
  firstSeq: number;
  lastSeq: number;
}

/** Parses a batch key; undefined for anything else. */
export function parseBatchKey(key: string): BatchRef | undefined {
  const match = BATCH_KEY.exec(key);
  if (!match) return undefined;
  const firstSeq = Number(match[2]);
  const lastSeq = Number(match[3]);
  if (firstSeq < 1 || lastSeq < firstSeq) return undefined;
  return { key, systemId: match[1] as string, firstSeq, lastSeq };
}

export function digestKey(digestSeq: number): string {
  return `${DIGEST_PREFIX}${pad(digestSeq, DIGEST_WIDTH)}.json`;
}

const DIGEST_KEY = /^audit\/digests\/(\d{10})\.json$/;

export function parseDigestKey(key: string): number | undefined {
  const match = DIGEST_KEY.exec(key);
  return match ? Number(match[1]) : undefined;
}

export function publicKeyKey(fingerprint: string): string {
  return `${KEY_PREFIX}${fingerprint}.pem`;
}

/** The system id of a `audit/systems/<id>/` common prefix. */
export function systemIdOfPrefix(prefix: string): string | undefined {
  const match = /^audit\/systems\/([^/]+)\/$/.exec(prefix);
  return match?.[1];
}
