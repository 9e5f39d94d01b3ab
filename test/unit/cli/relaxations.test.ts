import { describe, expect, it } from 'vitest';
import { expiresFrom } from '../../../cli/commands/relaxations.js';

describe('the expiry of govern waive --expires', () => {
  it('turns 48h, 90m and 7d into instants from now, and keeps an ISO instant as given', () => {
    // Prepare
    const now = new Date('2026-03-01T12:00:00.000Z');
    // Act and Assess
    expect(expiresFrom('48h', now)).toBe('2026-03-03T12:00:00.000Z');
    expect(expiresFrom('90m', now)).toBe('2026-03-01T13:30:00.000Z');
    expect(expiresFrom('7d', now)).toBe('2026-03-08T12:00:00.000Z');
    expect(expiresFrom('2026-03-02T00:00:00Z', now)).toBe('2026-03-02T00:00:00Z');
  });
});
