// Digest signing with an ECDSA P-256 private key held in this process (the local stack's key file, tests).
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { publicKeyFingerprint } from './digest.js';
import type { DigestSigner } from './ports.js';

export function createKeySigner(privateKeyPem: string): DigestSigner {
  const key: KeyObject = createPrivateKey(privateKeyPem);
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1')
    throw new Error('the digest signing key must be an ECDSA P-256 key');
  const pem = createPublicKey(key).export({ type: 'spki', format: 'pem' }).toString();
  return {
    keyId: `local:${publicKeyFingerprint(pem)}`,
    algorithm: 'ECDSA_SHA_256',
    publicKeyPem: async () => pem,
    sign: async (message) => sign('sha256', message, { key, dsaEncoding: 'der' }),
  };
}

/** A new P-256 private key as PKCS#8 PEM. */
export function generateSigningKeyPem(): string {
  return generateKeyPairSync('ec', { namedCurve: 'P-256' })
    .privateKey.export({ type: 'pkcs8', format: 'pem' })
    .toString();
}
