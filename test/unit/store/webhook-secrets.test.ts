// The ciphers of webhook signing secrets. The local one stands in for KMS and holds its rule: "If you specify an
// encryption context when you encrypt data, you must specify the same encryption context to decrypt it" (AWS KMS
// Developer Guide, "Encryption context"); a wrong context, another key or a changed byte is refused. The KMS one
// passes the key and the context on every call and turns KMS's refusal into the same typed error.
import { randomBytes } from 'node:crypto';
import { DecryptCommand, EncryptCommand, InvalidCiphertextException, KMSClient } from '@aws-sdk/client-kms';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { createKmsSecretCipher, secretCipherFromEnv } from '../../../functions/store/kms-secret-cipher.js';
import {
  createAesGcmSecretCipher,
  SecretDecryptionError,
  webhookSecretContext,
} from '../../../functions/store/webhook-secrets.js';

const SECRET = `whsec_${randomBytes(32).toString('base64')}`;

describe('the local cipher of webhook secrets (AES-256-GCM, the context as authenticated data)', () => {
  const cipher = createAesGcmSecretCipher(randomBytes(32));

  it('decrypts a ciphertext under the context it was sealed with, given in any key order', async () => {
    const sealed = await cipher.encrypt(SECRET, { purpose: 'webhook-signing-secret', webhookId: 'whk_a' });

    const opened = await cipher.decrypt(sealed, { webhookId: 'whk_a', purpose: 'webhook-signing-secret' });

    expect(opened).toBe(SECRET);
    expect(sealed).not.toContain(SECRET.slice('whsec_'.length));
  });

  it('refuses the ciphertext under another subscription, with an extra context pair, or with no context', async () => {
    const sealed = await cipher.encrypt(SECRET, webhookSecretContext('whk_a'));

    const attempts = [webhookSecretContext('whk_b'), { ...webhookSecretContext('whk_a'), extra: 'x' }, {}].map(
      (context) => cipher.decrypt(sealed, context).catch((error: unknown) => error),
    );

    for (const outcome of await Promise.all(attempts)) expect(outcome).toBeInstanceOf(SecretDecryptionError);
  });

  it('refuses a ciphertext of another key, a changed byte, and text that is no ciphertext', async () => {
    const other = createAesGcmSecretCipher(randomBytes(32));
    const sealed = await cipher.encrypt(SECRET, webhookSecretContext('whk_a'));
    const bytes = Buffer.from(sealed.slice('gcm1:'.length), 'base64');
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) ^ 1;

    const outcomes = await Promise.all(
      [
        other.decrypt(sealed, webhookSecretContext('whk_a')),
        cipher.decrypt(`gcm1:${bytes.toString('base64')}`, webhookSecretContext('whk_a')),
        cipher.decrypt(SECRET, webhookSecretContext('whk_a')),
        cipher.decrypt('gcm1:AAAA', webhookSecretContext('whk_a')),
      ].map((p) => p.catch((error: unknown) => error)),
    );

    for (const outcome of outcomes) expect(outcome).toBeInstanceOf(SecretDecryptionError);
  });

  it('refuses a key that is not 32 bytes', () => {
    expect(() => createAesGcmSecretCipher(randomBytes(16))).toThrow(/32 bytes/);
  });
});

describe('the KMS cipher of webhook secrets', () => {
  const kms = mockClient(KMSClient);
  afterEach(() => kms.reset());
  const KEY = 'arn:aws:kms:eu-central-1:111122223333:key/webhook-secrets';

  it('encrypts and decrypts with the named key and the subscription context', async () => {
    kms.on(EncryptCommand).resolves({ CiphertextBlob: Buffer.from('sealed') });
    kms.on(DecryptCommand).resolves({ Plaintext: Buffer.from(SECRET) });
    const cipher = createKmsSecretCipher(new KMSClient({ region: 'eu-central-1' }), KEY);

    const sealed = await cipher.encrypt(SECRET, webhookSecretContext('whk_a'));
    const opened = await cipher.decrypt(sealed, webhookSecretContext('whk_a'));

    expect(sealed).toBe(Buffer.from('sealed').toString('base64'));
    expect(opened).toBe(SECRET);
    expect(kms.commandCalls(EncryptCommand)[0]?.args[0].input).toMatchObject({
      KeyId: KEY,
      EncryptionContext: { purpose: 'webhook-signing-secret', webhookId: 'whk_a' },
    });
    expect(kms.commandCalls(DecryptCommand)[0]?.args[0].input).toMatchObject({
      KeyId: KEY,
      EncryptionContext: { purpose: 'webhook-signing-secret', webhookId: 'whk_a' },
    });
  });

  it("turns KMS's InvalidCiphertextException (a wrong context) into SecretDecryptionError, other errors pass", async () => {
    const cipher = createKmsSecretCipher(new KMSClient({ region: 'eu-central-1' }), KEY);
    kms
      .on(DecryptCommand)
      .rejectsOnce(new InvalidCiphertextException({ message: 'invalid', $metadata: {} }))
      .rejectsOnce(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));

    const wrong = await cipher.decrypt('c2VhbGVk', webhookSecretContext('whk_b')).catch((error: unknown) => error);
    const throttled = await cipher.decrypt('c2VhbGVk', webhookSecretContext('whk_a')).catch((error: unknown) => error);

    expect(wrong).toBeInstanceOf(SecretDecryptionError);
    expect(throttled).not.toBeInstanceOf(SecretDecryptionError);
  });

  it('is chosen by WEBHOOK_SECRETS_KEY_ID, and a function without it or a key file fails naming the variable', () => {
    expect(() => secretCipherFromEnv({})).toThrow(/WEBHOOK_SECRETS_KEY_ID is not set/);
    expect(secretCipherFromEnv({ WEBHOOK_SECRETS_KEY_ID: KEY, AWS_REGION: 'eu-central-1' })).toBeDefined();
  });
});
