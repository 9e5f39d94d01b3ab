// Digest signing with the KMS asymmetric key (ECC_NIST_P256, SIGN_VERIFY) in AWS. The private key never leaves KMS;
// Sign gets the SHA-256 digest of the signed bytes (MessageType DIGEST) and returns a DER ECDSA signature.
import { createHash } from 'node:crypto';
import { GetPublicKeyCommand, type KMSClient, SignCommand } from '@aws-sdk/client-kms';
import type { DigestSigner } from './ports.js';

export function createKmsSigner(kms: KMSClient, keyId: string): DigestSigner {
  let pem: Promise<string> | undefined;
  return {
    keyId,
    algorithm: 'ECDSA_SHA_256',
    publicKeyPem: () => {
      pem ??= kms.send(new GetPublicKeyCommand({ KeyId: keyId })).then((out) => {
        if (!out.PublicKey) throw new Error(`KMS returned no public key for ${keyId}`);
        const body = Buffer.from(out.PublicKey)
          .toString('base64')
          .replace(/(.{64})/g, '$1\n');
        return `-----BEGIN PUBLIC KEY-----\n${body.trimEnd()}\n-----END PUBLIC KEY-----\n`;
      });
      return pem;
    },
    sign: async (message) => {
      const digest = createHash('sha256').update(message).digest();
      const out = await kms.send(
        new SignCommand({ KeyId: keyId, Message: digest, MessageType: 'DIGEST', SigningAlgorithm: 'ECDSA_SHA_256' }),
      );
      if (!out.Signature) throw new Error(`KMS returned no signature for ${keyId}`);
      return out.Signature;
    },
  };
}
