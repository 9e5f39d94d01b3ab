// The cipher of webhook signing secrets in a Lambda container: KMS Encrypt/Decrypt on the dedicated symmetric key
// WEBHOOK_SECRETS_KEY_ID names, with the subscription's encryption context (a wrong context is KMS's
// InvalidCiphertextException). Only the webhooks API function and the dispatcher import this module, so no other
// bundle carries the KMS client. WEBHOOK_SECRETS_KEY_FILE names a local key file instead (tests of the Lambda entry).
import { readFileSync } from 'node:fs';
import { DecryptCommand, EncryptCommand, KMSClient } from '@aws-sdk/client-kms';
import { ConfigurationError, type Env } from './config.js';
import { aesGcmSecretCipherFromKeyText, type SecretCipher, SecretDecryptionError } from './webhook-secrets.js';

/** KMS direct encryption (a secret is far below Encrypt's 4 KB): the key never leaves KMS. */
export function createKmsSecretCipher(kms: KMSClient, keyId: string): SecretCipher {
  return {
    async encrypt(plaintext, context) {
      const out = await kms.send(
        new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from(plaintext, 'utf8'), EncryptionContext: context }),
      );
      if (!out.CiphertextBlob) throw new Error(`KMS returned no ciphertext for ${keyId}`);
      return Buffer.from(out.CiphertextBlob).toString('base64');
    },
    async decrypt(ciphertext, context) {
      try {
        const out = await kms.send(
          new DecryptCommand({
            // Naming the key refuses a ciphertext of any other key, as the local cipher does.
            KeyId: keyId,
            CiphertextBlob: Buffer.from(ciphertext, 'base64'),
            EncryptionContext: context,
          }),
        );
        if (!out.Plaintext) throw new Error(`KMS returned no plaintext for ${keyId}`);
        return Buffer.from(out.Plaintext).toString('utf8');
      } catch (error) {
        const name = (error as Error).name;
        if (name === 'InvalidCiphertextException' || name === 'IncorrectKeyException')
          throw new SecretDecryptionError();
        throw error;
      }
    },
  };
}

/** The container's cipher of webhook secrets: KMS (WEBHOOK_SECRETS_KEY_ID) or a local key file; neither is an error. */
export function secretCipherFromEnv(env: Env): SecretCipher {
  const keyId = env.WEBHOOK_SECRETS_KEY_ID?.trim();
  if (keyId) return createKmsSecretCipher(new KMSClient({}), keyId);
  const keyFile = env.WEBHOOK_SECRETS_KEY_FILE?.trim();
  if (keyFile) return aesGcmSecretCipherFromKeyText(readFileSync(keyFile, 'utf8'));
  throw new ConfigurationError('WEBHOOK_SECRETS_KEY_ID', 'the KMS key of webhook signing secrets');
}
