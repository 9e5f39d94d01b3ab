import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../functions/domain/errors.js';
import { isSchemaValid, outputValidator, schemaViolation } from '../../../functions/domain/eval/index.js';

const contract = {
  type: 'object',
  required: ['label', 'confidence'],
  properties: { label: { type: 'string' }, confidence: { type: 'number', minimum: 0, maximum: 1 } },
};

describe('output contract validation', () => {
  it('accepts an output that satisfies the contract and rejects missing, mistyped or absent outputs', () => {
    // Prepare
    const outputs = [
      { label: 'a', confidence: 0.4 },
      { label: 'a' },
      { label: 'a', confidence: 'high' },
      { label: 'a', confidence: 1.5 },
      null,
    ];
    // Act
    const valid = outputs.map((o) => isSchemaValid(contract, o));
    // Assess
    expect(valid).toEqual([true, false, false, false, false]);
  });

  it('says why an output fails the contract, and nothing when it satisfies it', () => {
    // Prepare
    const strict = { ...contract, additionalProperties: false };
    const outputs = [
      { label: 'a', confidence: 0.4 },
      { label: 'a' },
      { label: 'a', confidence: 'high' },
      { label: 'a', confidence: 1.5 },
      { label: 'a', confidence: 0.4, ['x'.repeat(1000)]: 1 },
      null,
    ];
    // Act
    const reasons = outputs.map((o) => schemaViolation(strict, o));
    // Assess
    expect(reasons.slice(0, 4)).toEqual([
      null,
      "the output must have required property 'confidence'",
      'confidence must be number',
      'confidence must be <= 1',
    ]);
    expect(reasons[4]).toMatch(/^the output must NOT have additional properties \(x+…$/);
    expect(reasons[4]?.length).toBe(300);
    expect(reasons[5]).toBe('no output to validate');
    expect(outputs.map((o) => isSchemaValid(strict, o))).toEqual(reasons.map((r) => r === null));
  });

  it('reuses one compiled validator for equal contracts in different objects', () => {
    // Prepare
    const reordered = { properties: { ...contract.properties }, required: [...contract.required], type: 'object' };
    // Act
    const first = outputValidator(contract);
    const second = outputValidator(reordered);
    // Assess
    expect(second).toBe(first);
  });

  it('validates contracts written for JSON Schema 2020-12 and 2019-09', () => {
    // Prepare
    const modern = {
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      $id: 'https://example.test/out',
      type: 'object',
      properties: { tags: { type: 'array', prefixItems: [{ type: 'string' }] } },
    };
    // 2019-09 has no prefixItems, so it does not constrain the items.
    const older = { ...modern, $schema: 'https://json-schema.org/draft/2019-09/schema' };
    // Act
    const results = [
      isSchemaValid(modern, { tags: ['x', 1] }),
      isSchemaValid(modern, { tags: [1] }),
      isSchemaValid(older, { tags: [1] }),
    ];
    // Assess
    expect(results).toEqual([true, false, true]);
  });

  it('validates recursive contracts and keeps contracts that share an $id apart', () => {
    // Prepare
    const tree = {
      $id: 'https://example.test/node',
      type: 'object',
      required: ['name'],
      properties: { name: { type: 'string' }, children: { type: 'array', items: { $ref: '#' } } },
    };
    const sameId = { $id: 'https://example.test/node', type: 'object', required: ['other'] };
    // Act
    const results = [
      isSchemaValid(tree, { name: 'root', children: [{ name: 'leaf', children: [] }] }),
      isSchemaValid(tree, { name: 'root', children: [{ children: [] }] }),
      isSchemaValid(sameId, { other: 1 }),
      isSchemaValid(sameId, { name: 'root' }),
    ];
    // Assess
    expect(results).toEqual([true, false, true, false]);
  });

  it('refuses a contract that is not a valid JSON Schema', () => {
    // Prepare
    const broken = { type: 'no-such-type' };
    // Act
    const act = () => outputValidator(broken);
    // Assess
    expect(act).toThrow(ValidationError);
  });

  it('keeps working after more contracts than the cache holds have been compiled', () => {
    // Prepare
    const contracts = Array.from({ length: 260 }, (_, i) => ({ type: 'object', required: [`f${i}`] }));
    // Act
    const validators = contracts.map((c) => outputValidator(c));
    const recompiled = outputValidator({ type: 'object', required: ['f0'] });
    // Assess
    expect(recompiled).not.toBe(validators[0]);
    expect(recompiled({ f0: 1 })).toBe(true);
    expect(recompiled({})).toBe(false);
  });
});
