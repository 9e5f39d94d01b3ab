// What the archive code needs from the outside world. Adapters: S3 (s3-archive.ts), a folder (verify/dir-archive.ts),
// memory (memory-archive.ts); KMS or a key file for signing. Tests inject faults through these.

export type PutOutcome = 'created' | 'exists';

export interface ArchiveWriter {
  /** Creates the object unless the key exists (`If-None-Match: *`); 'exists' when it did (S3's 412). */
  putIfAbsent(key: string, body: Uint8Array, contentType: string): Promise<PutOutcome>;
}

export interface ArchiveReader {
  /** The object's bytes, or undefined when there is none. */
  get(key: string): Promise<Uint8Array | undefined>;
  /** Keys under `prefix` in ascending order, strictly after `startAfter` when given. */
  list(prefix: string, startAfter?: string): AsyncIterable<string>;
  /** The next level of "folders" under `prefix` (keys up to and including the next '/'). */
  listFolders(prefix: string): Promise<string[]>;
}

export type ArchiveStore = ArchiveWriter & ArchiveReader;

/** Signs digests: ECDSA P-256 over SHA-256, DER signatures (what KMS returns for ECDSA_SHA_256). */
export interface DigestSigner {
  /** The KMS key ARN, or `local:<fingerprint>` for the local key file. */
  keyId: string;
  algorithm: 'ECDSA_SHA_256';
  /** The SubjectPublicKeyInfo as PEM, exported for auditors. */
  publicKeyPem(): Promise<string>;
  /** Signs SHA-256 of the message; resolves to a DER-encoded ECDSA signature. */
  sign(message: Uint8Array): Promise<Uint8Array>;
}
