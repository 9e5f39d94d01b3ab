// The API's error codes are one closed union (functions/domain/errors.ts ERROR_CODES): every code the code base
// produces is in it, every code in it is produced somewhere, the contracts and the OpenAPI document list exactly
// these codes, and docs/api.md lists them from the source.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { API_MODULES } from '../../../functions/api/routes.js';
import { problem } from '../../../functions/contracts/common.js';
import { gateResponse } from '../../../functions/contracts/responses.js';
import { BLOCK_REASON_CODES, ERROR_CODE_MEANINGS, ERROR_CODES } from '../../../functions/domain/errors.js';
import { API_DOC_PATH, renderOpenApiJson } from '../../../scripts/api-doc.js';
import { errorCodesSection, renderErrorCodes } from '../../../scripts/error-codes-doc.js';

const FUNCTIONS = fileURLToPath(new URL('../../../functions/', import.meta.url));

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

// Where a code is answered: `code: 'X'` in an error's detail or a reason, `code = 'X'`, or the gate's `add('X', …)`.
const PRODUCED = /(?:\bcode\s*[:=]\s*|\badd\(\s*)'([A-Z][A-Z0-9_]*)'/g;

/** Every code literal that functions/ produces, with the files that produce it. */
function producedCodes(): Map<string, string[]> {
  const produced = new Map<string, string[]>();
  for (const file of sourceFiles(FUNCTIONS)) {
    for (const match of readFileSync(file, 'utf8').matchAll(PRODUCED)) {
      const code = match[1] as string;
      produced.set(code, [...(produced.get(code) ?? []), relative(FUNCTIONS, file)]);
    }
  }
  return produced;
}

const known: readonly string[] = ERROR_CODES;

describe('the closed union of error codes', () => {
  it('holds every code that functions/ answers, so none escapes the union through a cast', () => {
    // Act
    const outside = [...producedCodes()].filter(([code]) => !known.includes(code));

    // Assess
    expect(outside).toEqual([]);
  });

  it('holds only codes that functions/ answers somewhere, each with a documented meaning', () => {
    // Prepare
    const produced = producedCodes();

    // Act
    const neverAnswered = ERROR_CODES.filter((code) => !produced.has(code));
    const undocumented = ERROR_CODES.filter((code) => !ERROR_CODE_MEANINGS[code]?.trim());

    // Assess
    expect(neverAnswered).toEqual([]);
    expect(undocumented).toEqual([]);
    expect(new Set(ERROR_CODES).size).toBe(ERROR_CODES.length);
    expect(Object.keys(ERROR_CODE_MEANINGS).sort()).toEqual([...ERROR_CODES].sort());
  });

  it('lists every gate reason code among the error codes', () => {
    // Assess
    for (const code of BLOCK_REASON_CODES) expect(known).toContain(code);
  });

  it('is the enum of the problem code, the reasons of a problem and the reasons of a gate answer', () => {
    // Act
    const codeOf = (body: unknown) => problem.safeParse({ type: 't', title: 'T', status: 409, ...(body as object) });
    const reasonOf = (code: string) =>
      gateResponse.shape.reasons.element.shape.code.safeParse(code).success &&
      codeOf({ reasons: [{ code, message: 'm' }] }).success;

    // Assess
    for (const code of ERROR_CODES) expect(codeOf({ code }).success, code).toBe(true);
    for (const code of BLOCK_REASON_CODES) expect(reasonOf(code), code).toBe(true);
    expect(codeOf({ code: 'NOT_A_CODE' }).success).toBe(false);
    expect(reasonOf('TOKEN_EXPIRED')).toBe(false);
  });

  it('is listed as an enum by the OpenAPI document, for the problem code and every gate reason', () => {
    // Act
    const doc = JSON.parse(renderOpenApiJson(API_MODULES)) as {
      components: { schemas: Record<string, { properties: Record<string, unknown> }> };
    };
    const schemas = doc.components.schemas;

    // Assess
    expect(schemas.Problem?.properties.code).toMatchObject({ enum: [...ERROR_CODES] });
    expect(schemas.BlockReason?.properties.code).toMatchObject({ enum: [...BLOCK_REASON_CODES] });
  });

  it('in docs/api.md is up to date with functions/domain/errors.ts (fix: npx tsx scripts/api-doc.ts --write)', () => {
    // Prepare
    const doc = readFileSync(API_DOC_PATH, 'utf8');

    // Act
    const current = errorCodesSection(doc);

    // Assess
    expect(current, 'docs/api.md lost its error-codes markers').toBeDefined();
    expect(current).toBe(renderErrorCodes());
    for (const code of ERROR_CODES) expect(current).toContain(`| \`${code}\` |`);
    expect(doc).toMatch(/Clients must tolerate codes they do\s+not know/);
  });
});
