// The content hash of a dataset version: what its audit event and every candidate's evidence name. Assertions are
// part of it only when present, so a dataset without any keeps the hash it had before assertions existed.
import { contentHash } from '../hashing.js';
import type { Assertion, DatasetKind, EvalCase } from '../types.js';

/** The content hash of a dataset: name, kind, cases (each with `assert` only when it has assertions), defaults. */
export function datasetContentHash(input: {
  name: string;
  kind: DatasetKind;
  cases: readonly EvalCase[];
  defaultAssert?: readonly Assertion[] | undefined;
}): string {
  const cases = input.cases.map((c) => {
    const { assert, ...rest } = c;
    return assert?.length ? { ...rest, assert } : rest;
  });
  return contentHash({
    name: input.name,
    kind: input.kind,
    cases,
    ...(input.defaultAssert?.length ? { defaultAssert: input.defaultAssert } : {}),
  });
}
