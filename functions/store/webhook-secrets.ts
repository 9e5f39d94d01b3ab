// Webhook signing secrets at rest: the table holds only a ciphertext bound to its subscription. The composition
// root picks the cipher: KMS in AWS (functions/store/kms-secret-cipher.ts), AES-256-GCM with a key file under
// .data/keys locally. Both bind the ciphertext to an encryption context naming the subscription id (KMS's
// EncryptionContext, GCM's additional authenticated data), so a ciphertext copied onto another subscription's item
// does not decrypt there. Only node:crypto here: every API function bundles this module through the store.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/** Encrypts and decrypts one secret under an encryption context; the ciphertext is opaque base64. */
export interface SecretCipher {
  encrypt(plaintext: string, context: Record<string, string>): Promise<string>;
  decrypt(ciphertext: string, context: Record<string, string>): Promise<string>;
}

/** The encryption context of a subscription's signing secret: a ciphertext decrypts for this subscription only. */
export function webhookSecretContext(webhookId: string): Record<string, string> {
  return { purpose: 'webhook-signing-secret', webhookId };
}

/** A ciphertext that does not decrypt under its context: moved, tampered with, or sealed by another key. */
export class SecretDecryptionError extends Error {
  constructor(message = 'the signing secret does not decrypt under its subscription') {
    super(message);
    this.name = 'SecretDecryptionError';
  }
}

const LOCAL_FORMAT = 'gcm1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** The context as GCM's additional authenticated data: keys sorted, so the order they are given in never matters. */
function associatedData(context: Record<string, string>): Buffer {
  const entries = Object.entries(context).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return Buffer.from(JSON.stringify(entries), 'utf8');
}

/**
 * The local stand-in of the KMS key: AES-256-GCM under a 32-byte key, the encryption context as authenticated data,
 * so a ciphertext decrypts only under the context it was sealed with, as KMS refuses one (InvalidCiphertextException).
 */
export function createAesGcmSecretCipher(key: Buffer): SecretCipher {
  if (key.length !== 32) throw new Error('the local webhook secrets key must be 32 bytes');
  return {
    async encrypt(plaintext, context) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
      cipher.setAAD(associatedData(context));
      const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      const sealed = Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64');
      return `${LOCAL_FORMAT}:${sealed}`;
    },
    async decrypt(ciphertext, context) {
      const [format, sealed] = ciphertext.split(':', 2);
      if (format !== LOCAL_FORMAT || !sealed) throw new SecretDecryptionError('not a ciphertext of the local key');
      const bytes = Buffer.from(sealed, 'base64');
      if (bytes.length < IV_BYTES + TAG_BYTES) throw new SecretDecryptionError('the ciphertext is truncated');
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(0, IV_BYTES), {
          authTagLength: TAG_BYTES,
        });
        decipher.setAAD(associatedData(context));
        decipher.setAuthTag(bytes.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
        return Buffer.concat([decipher.update(bytes.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString(
          'utf8',
        );
      } catch {
        throw new SecretDecryptionError();
      }
    },
  };
}

/** A cipher over the text of a local key file: 32 random bytes in base64 (or base64url). */
export function aesGcmSecretCipherFromKeyText(text: string): SecretCipher {
  return createAesGcmSecretCipher(Buffer.from(text.trim(), 'base64'));
}
