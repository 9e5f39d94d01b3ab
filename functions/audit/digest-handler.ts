// Lambda entry: the digest writer, on an EventBridge schedule (every interval, also when nothing arrived).
// Env: AUDIT_BUCKET, AUDIT_SIGNING_KEY_ID.
import { writeDigest } from './digest.js';
import { archiveFromEnv, signerFromEnv } from './env.js';

export const handler = async () => {
  const result = await writeDigest({
    archive: archiveFromEnv(),
    signer: signerFromEnv(),
    log: (line) => console.warn(line),
  });
  console.log(JSON.stringify({ auditDigest: result }));
  return result;
};
