// Output-contract validation with ajv: the one module that imports it. Only the functions that score outputs or check
// schema values at the API edge reach it (ADR 0052; test/infra/function-bundles.test.ts pins which). Compiling a schema costs milliseconds and validating costs nanoseconds,
// so compiled validators are cached; the cache memoises a pure function and does not change any result.
import { Ajv, type ErrorObject } from 'ajv';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { ValidationError } from '../errors.js';
import { canonicalJson } from '../hashing.js';
import type { JsonSchema } from '../types.js';

/** A compiled output contract: true when the value satisfies it. */
export type OutputValidator = (value: unknown) => boolean;

/** A compiled contract: its verdict, and the first violation in words (null when the value satisfies it). */
interface CompiledContract {
  valid: OutputValidator;
  explain: (value: unknown) => string | null;
}

// A reason names a property path the model chose: bounded, so evidence pages stay small.
const MAX_REASON_CHARS = 300;

// Bounded so that a long-lived Lambda scoring many contracts cannot grow without limit.
const MAX_CACHED_CONTRACTS = 256;
const byCanonicalJson = new Map<string, CompiledContract>();
// Identity shortcut: a batch passes the same contract object for every case, so it is canonicalised once.
const byIdentity = new WeakMap<object, CompiledContract>();

type Dialect = 'draft-07' | '2019-09' | '2020-12';
// One ajv per dialect, created on first use: a fresh instance recompiles the meta-schema (~50 ms), a shared one
// compiles a contract in about a millisecond.
const instances = new Map<Dialect, Ajv>();

function ajvFor(schema: JsonSchema): Ajv {
  const declared = typeof schema.$schema === 'string' ? schema.$schema : '';
  const dialect: Dialect = declared.includes('2020-12')
    ? '2020-12'
    : declared.includes('2019-09')
      ? '2019-09'
      : 'draft-07';
  let ajv = instances.get(dialect);
  if (!ajv) {
    // strict:false and no logger: contracts written by teams may carry annotations ajv does not know.
    const options = { strict: false, allErrors: false, logger: false } as const;
    ajv =
      dialect === '2020-12' ? new Ajv2020(options) : dialect === '2019-09' ? new Ajv2019(options) : new Ajv(options);
    instances.set(dialect, ajv);
  }
  return ajv;
}

/** ajv's first error in words: where in the output (a dotted path, or "the output") and what is wrong. */
function violationText(error: ErrorObject): string {
  const where = error.instancePath ? error.instancePath.slice(1).replace(/\//g, '.') : 'the output';
  const extra =
    error.keyword === 'additionalProperties' && typeof error.params.additionalProperty === 'string'
      ? ` (${error.params.additionalProperty})`
      : '';
  const text = `${where} ${error.message ?? `fails ${error.keyword}`}${extra}`;
  return text.length > MAX_REASON_CHARS ? `${text.slice(0, MAX_REASON_CHARS - 1)}…` : text;
}

function compile(schema: JsonSchema, key: string): CompiledContract {
  const ajv = ajvFor(schema);
  const copy = JSON.parse(key) as JsonSchema;
  try {
    const validate = ajv.compile(copy);
    return {
      valid: (value) => validate(value) === true,
      explain: (value) => {
        if (validate(value) === true) return null;
        const first = validate.errors?.[0];
        return first ? violationText(first) : 'the output does not satisfy the output contract';
      },
    };
  } catch (cause) {
    throw new ValidationError('the prompt output contract is not a valid JSON Schema', {
      reason: cause instanceof Error ? cause.message : String(cause),
    });
  } finally {
    // The compiled function keeps what it needs; unregistering lets two contracts share an `$id` and keeps
    // ajv's own cache from growing past ours.
    ajv.removeSchema(copy);
  }
}

function compiled(schema: JsonSchema): CompiledContract {
  const known = byIdentity.get(schema);
  if (known) return known;
  const key = canonicalJson(schema);
  let contract = byCanonicalJson.get(key);
  if (!contract) {
    contract = compile(schema, key);
    if (byCanonicalJson.size >= MAX_CACHED_CONTRACTS) {
      const oldest = byCanonicalJson.keys().next().value;
      if (oldest !== undefined) byCanonicalJson.delete(oldest);
    }
    byCanonicalJson.set(key, contract);
  }
  byIdentity.set(schema, contract);
  return contract;
}

/**
 * Why a JSON Schema does not compile (ajv's message), or null when it does: the `SchemaProblem` the datasets API lends
 * the store's dataset checks (./assertion-checks.ts), so that the store itself never imports ajv (ADR 0052).
 */
export function schemaCompileProblem(schema: JsonSchema): string | null {
  try {
    outputValidator(schema);
    return null;
  } catch (error) {
    return error instanceof ValidationError ? String(error.detail.reason ?? error.message) : String(error);
  }
}

/** Compiled validator of a JSON Schema output contract, cached by the contract's canonical JSON. */
export function outputValidator(schema: JsonSchema): OutputValidator {
  return compiled(schema).valid;
}

/**
 * Why an output fails the output contract, in words (the first violation ajv finds, as `isSchemaValid` judges it):
 * null when it satisfies the contract. A case without output fails for want of one.
 */
export function schemaViolation(schema: JsonSchema, output: Record<string, unknown> | null): string | null {
  if (output === null) return 'no output to validate';
  return compiled(schema).explain(output);
}

/** True when the output is present and satisfies the output contract. */
export function isSchemaValid(schema: JsonSchema, output: Record<string, unknown> | null): boolean {
  return output !== null && outputValidator(schema)(output);
}
