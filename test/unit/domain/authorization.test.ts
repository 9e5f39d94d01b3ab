import { describe, expect, it } from 'vitest';
import {
  assertCanPromote,
  assertCanReadOrganisationChain,
  assertCanReadSystem,
  assertCanRegisterSystem,
  assertCanWriteSystemArtefacts,
  assertReviewerRole,
  canPromote,
  canReadOrganisationChain,
  canReadSystem,
  canRegisterSystem,
  canWriteSystemArtefacts,
  hasReviewerRole,
} from '../../../functions/domain/authorization.js';
import { ForbiddenError, NotFoundError } from '../../../functions/domain/errors.js';
import { type Principal, REVIEWER_ROLES } from '../../../functions/domain/types.js';

const system = { id: 'sys_1', ownerTeam: 'support-ml' };

function principal(roles: Principal['roles'], scope: Partial<Pick<Principal, 'teams' | 'systems'>> = {}): Principal {
  return { userId: `u_${roles.join('+') || 'none'}`, name: 'Someone', roles, teams: [], systems: [], ...scope };
}

const PRINCIPALS: Record<string, Principal> = {
  admin: principal(['admin']),
  auditor: principal(['auditor']),
  'technical reviewer': principal(['reviewer:technical']),
  'governance reviewer': principal(['reviewer:governance']),
  'owner of the team': principal(['model_owner'], { teams: ['support-ml'] }),
  'owner of another team': principal(['model_owner'], { teams: ['fraud-ml'] }),
  'team member without the owner role': principal(['auditor'], { teams: ['support-ml'] }),
  'pipeline of the system': principal(['pipeline'], { systems: ['sys_1'] }),
  'pipeline of another system': principal(['pipeline'], { systems: ['sys_2'] }),
  'owner-scoped pipeline without the owner role': principal(['pipeline'], { teams: ['support-ml'] }),
  'nobody in particular': principal([]),
};

// [read, write artefacts, register a system for the team, promote]
const MATRIX: Record<keyof typeof PRINCIPALS, [boolean, boolean, boolean, boolean]> = {
  admin: [true, true, true, true],
  auditor: [true, false, false, false],
  'technical reviewer': [true, false, false, false],
  'governance reviewer': [true, false, false, false],
  'owner of the team': [true, true, true, true],
  'owner of another team': [false, false, false, false],
  'team member without the owner role': [true, false, false, false],
  'pipeline of the system': [true, true, false, true],
  'pipeline of another system': [false, false, false, false],
  'owner-scoped pipeline without the owner role': [false, false, false, false],
  'nobody in particular': [false, false, false, false],
};

describe('authorisation matrix', () => {
  for (const [who, p] of Object.entries(PRINCIPALS)) {
    const [read, write, register, promote] = MATRIX[who] as [boolean, boolean, boolean, boolean];

    it(`decides what the ${who} may do with a system`, () => {
      // Act
      const decisions = [
        canReadSystem(p, system),
        canWriteSystemArtefacts(p, system),
        canRegisterSystem(p, system.ownerTeam),
        canPromote(p, system),
      ];

      // Assess
      expect(decisions).toEqual([read, write, register, promote]);
    });

    it(`answers the ${who} with the right error, or none`, () => {
      // Act / Assess
      const readCheck = expect(() => assertCanReadSystem(p, system));
      if (read) readCheck.not.toThrow();
      else readCheck.toThrow(NotFoundError);

      const writeCheck = expect(() => assertCanWriteSystemArtefacts(p, system));
      if (write) writeCheck.not.toThrow();
      else writeCheck.toThrow(read ? ForbiddenError : NotFoundError);

      const registerCheck = expect(() => assertCanRegisterSystem(p, system.ownerTeam));
      if (register) registerCheck.not.toThrow();
      else registerCheck.toThrow(ForbiddenError);

      const promoteCheck = expect(() => assertCanPromote(p, system));
      if (promote) promoteCheck.not.toThrow();
      else promoteCheck.toThrow(read ? ForbiddenError : NotFoundError);
    });
  }

  it('unites the permissions of several roles', () => {
    // Prepare
    const p = principal(['auditor', 'pipeline'], { systems: ['sys_1'] });

    // Act / Assess
    expect(canWriteSystemArtefacts(p, system)).toBe(true);
    expect(canPromote(p, system)).toBe(true);
  });

  it('hides the existence of a system from someone who may not read it', () => {
    // Act
    let error: unknown;
    try {
      assertCanReadSystem(PRINCIPALS['owner of another team'] as Principal, system);
    } catch (caught) {
      error = caught;
    }

    // Assess
    expect(error).toBeInstanceOf(NotFoundError);
    expect((error as NotFoundError).message).toBe('system sys_1 not found');
  });

  it('grants reviewer roles only as held, and never through admin', () => {
    // Prepare
    const admin = PRINCIPALS.admin as Principal;
    const risk = principal(['reviewer:risk']);

    // Act / Assess
    expect(REVIEWER_ROLES.filter((role) => hasReviewerRole(risk, role))).toEqual(['risk']);
    expect(REVIEWER_ROLES.filter((role) => hasReviewerRole(admin, role))).toEqual([]);
    expect(() => assertReviewerRole(risk, 'risk')).not.toThrow();
    expect(() => assertReviewerRole(admin, 'risk')).toThrow(ForbiddenError);
  });

  it('lets admins, auditors and reviewers read the organisation chain, and refuses owners and pipelines with a 403', () => {
    // Prepare
    const readers = Object.entries(PRINCIPALS)
      .filter(([, p]) => canReadOrganisationChain(p))
      .map(([who]) => who);
    const owner = PRINCIPALS['owner of the team'] as Principal;

    // Act
    let error: unknown;
    try {
      assertCanReadOrganisationChain(owner);
    } catch (caught) {
      error = caught;
    }

    // Assess
    expect(readers).toEqual([
      'admin',
      'auditor',
      'technical reviewer',
      'governance reviewer',
      'team member without the owner role',
    ]);
    expect(error).toBeInstanceOf(ForbiddenError);
    expect(() => assertCanReadOrganisationChain(PRINCIPALS.auditor as Principal)).not.toThrow();
  });
});
