// The size bounds of one production sample (ADR 0042), pure and importing only the vocabulary: the domain's
// prepareSamples answers a broken bound as a 400 naming the field, and `govern samples post` checks a file's lines
// with the same function before it posts any batch (ADR 0049).
import { SAMPLE_LIMITS } from './types.js';

/** What a bound is checked on: a sample's text or JSON input and output, and its metadata. */
export interface SizedSample {
  input: string | Record<string, unknown>;
  output: string | Record<string, unknown>;
  metadata?: Record<string, unknown> | undefined;
}

const bytes = (value: string) => new TextEncoder().encode(value).length;

/** The first size bound a sample breaks (its input, output or metadata), or null. */
export function sampleSizeProblem(s: SizedSample): { field: 'input' | 'output' | 'metadata'; message: string } | null {
  const inputText = typeof s.input === 'string' ? s.input : JSON.stringify(s.input);
  if (bytes(inputText) > SAMPLE_LIMITS.maxInputBytes)
    return { field: 'input', message: `is larger than ${SAMPLE_LIMITS.maxInputBytes} bytes` };
  const outputText = typeof s.output === 'string' ? s.output : JSON.stringify(s.output);
  if (bytes(outputText) > SAMPLE_LIMITS.maxOutputBytes)
    return { field: 'output', message: `is larger than ${SAMPLE_LIMITS.maxOutputBytes} bytes` };
  const metadata = s.metadata ?? {};
  if (
    Object.keys(metadata).length > SAMPLE_LIMITS.maxMetadataKeys ||
    bytes(JSON.stringify(metadata)) > SAMPLE_LIMITS.maxMetadataBytes
  )
    return {
      field: 'metadata',
      message: `holds more than ${SAMPLE_LIMITS.maxMetadataKeys} keys or ${SAMPLE_LIMITS.maxMetadataBytes} bytes`,
    };
  return null;
}
