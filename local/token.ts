// `npm run token -- --role ROLE --user NAME [--team T]... [--system S]... [--access] [--data-dir DIR]`
// Prints a development token, signed with the local stack's key, as the last line of stdout: shaped as the Cognito
// ID token that the hosted dashboard sends (`token_use: id`, `aud`, `cognito:groups`, `custom:teams`,
// `custom:systems`, `custom:github_login`, `cognito:username`, `email`), or with `--access` as a Cognito access token
// (`token_use: access`, `client_id`, `cognito:groups`, `scope`, `username`, no custom attributes: roles only, no
// owner or pipeline scope). `--role application --system SYSTEM_ID` mints an application's token (ADR 0042): one
// system, no other role (the verifier refuses anything else), user `app.service` unless --user names another.

import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { PRINCIPAL_ROLES, type Principal, type PrincipalRole } from '../functions/domain/types.js';
import { loadOrCreateDevKeys, mintToken } from './dev-keys.js';

/** The folder `npm start` keeps its state in; the development keys live in `<dataDir>/keys`. */
export const DEFAULT_DATA_DIR = '.data';

/** Where the development keys of a data folder live. */
export function devKeysDir(dataDir: string): string {
  return join(dataDir, 'keys');
}

/**
 * One demo user per role (and a second technical reviewer); the pipeline may act on `systemIds`. Each person's
 * linked GitHub login differs from their user id on purpose, so separation of duties through the CI link is proved
 * by the mapping, never by a coincidence of strings.
 */
export function demoIdentities(systemIds: string[]): Principal[] {
  const person = (
    userId: string,
    name: string,
    role: PrincipalRole,
    githubLogin: string,
    teams: string[] = [],
  ): Principal => ({ userId, name, roles: [role], teams, systems: [], githubLogin });
  return [
    person('ada.admin', 'Ada Admin', 'admin', 'ada-gh'),
    person('omar.owner', 'Omar Owner', 'model_owner', 'omar-gh', ['support-ai', 'claims-ai', 'risk-ai', 'docs-ai']),
    person('tessa.technical', 'Tessa Technical', 'reviewer:technical', 'tessa-gh'),
    person('tom.technical', 'Tom Technical', 'reviewer:technical', 'tom-gh'),
    person('priya.product', 'Priya Product', 'reviewer:product', 'priya-gh'),
    person('rahul.risk', 'Rahul Risk', 'reviewer:risk', 'rahul-gh'),
    person('greta.governance', 'Greta Governance', 'reviewer:governance', 'greta-gh'),
    person('gus.governance', 'Gus Governance', 'reviewer:governance', 'gus-gh'),
    person('aud.auditor', 'Aud Auditor', 'auditor', 'aud-gh'),
    { userId: 'ci.pipeline', name: 'CI Pipeline', roles: ['pipeline'], teams: [], systems: [...systemIds] },
  ];
}

/** The default user of an application token (`--role application`): a service user, not a person. */
export const APPLICATION_USER = 'app.service';

/** The demo identities with a pipeline that may act on no system until ids are given to `demoIdentities`. */
export const DEMO_IDENTITIES: readonly Principal[] = demoIdentities([]);

export interface CliIo {
  stdout: (line: string) => void;
  stderr: (line: string) => void;
  cwd: string;
}

const USAGE = `usage: npm run token -- --role ROLE [--role ROLE]... [--user NAME] [--name "Display Name"]
                      [--team TEAM]... [--system SYSTEM_ID]... [--email ADDRESS] [--github-login LOGIN]
                      [--access] [--expires-in 12h] [--data-dir .data]
roles: ${PRINCIPAL_ROLES.join(', ')}
Without --user, the demo user of the (first) role is used, with their linked GitHub login.
An application (--role application) needs exactly one --system and no other role; its default user is app.service. The token is shaped as
Cognito's ID token; --access shapes it as Cognito's access token, which carries groups but no teams, systems or
GitHub login.`;

/** Runs the token CLI; resolves with the process exit code (2 for a usage error). */
export async function runTokenCli(argv: string[], io: CliIo): Promise<number> {
  let values: ReturnType<typeof parse>['values'];
  try {
    ({ values } = parse(argv));
  } catch (error) {
    io.stderr(`${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  if (values.help === true) {
    io.stderr(USAGE);
    return 0;
  }
  const requested = values.role ?? [];
  if (requested.length === 0) {
    io.stderr(`--role is required\n${USAGE}`);
    return 2;
  }
  const invalid = requested.filter((role) => !(PRINCIPAL_ROLES as readonly string[]).includes(role));
  if (invalid.length > 0) {
    io.stderr(
      `unknown role ${invalid.map((role) => `"${role}"`).join(', ')}; valid roles: ${PRINCIPAL_ROLES.join(', ')}`,
    );
    return 2;
  }
  const roles = [...new Set(requested)] as PrincipalRole[];
  if (roles.includes('application') && (roles.length !== 1 || (values.system ?? []).length !== 1)) {
    io.stderr(`an application token needs exactly one --system and no other --role\n${USAGE}`);
    return 2;
  }
  if (roles.includes('application') && values.access === true) {
    io.stderr(`an application token is an ID token: an access token carries no system\n${USAGE}`);
    return 2;
  }
  const demo = DEMO_IDENTITIES.find((identity) => identity.roles[0] === roles[0]);
  const userId = values.user ?? demo?.userId ?? (roles[0] === 'application' ? APPLICATION_USER : undefined);
  if (userId === undefined || userId.trim() === '') {
    io.stderr(`--user must name the user\n${USAGE}`);
    return 2;
  }
  const fromDemo = values.user === undefined || values.user === demo?.userId ? demo : undefined;
  const name = values.name ?? fromDemo?.name ?? userId;
  const teams = values.team ?? fromDemo?.teams ?? [];
  const systems = values.system ?? [];
  const githubLogin = values['github-login'] ?? fromDemo?.githubLogin;
  const shape = values.access === true ? 'access' : 'id';

  const keysDir = devKeysDir(resolve(io.cwd, values['data-dir'] ?? DEFAULT_DATA_DIR));
  const keys = await loadOrCreateDevKeys(keysDir);
  let token: string;
  try {
    token = await mintToken({
      keys,
      userId,
      name,
      roles,
      teams,
      systems,
      shape,
      ...(values.email === undefined ? {} : { email: values.email }),
      ...(githubLogin === undefined ? {} : { githubLogin }),
      expiresIn: values['expires-in'] ?? '12h',
    });
  } catch (error) {
    io.stderr(`could not mint the token: ${(error as Error).message}`);
    return 2;
  }
  // An access token carries no custom attributes: the teams and systems asked for are not in it, and it says so.
  const scope =
    shape === 'id'
      ? `teams: ${teams.join(', ') || '-'}; systems: ${systems.join(', ') || '-'}; GitHub login: ${githubLogin ?? '-'}`
      : 'no teams, systems or GitHub login (an access token carries no custom attributes)';
  io.stderr(
    `development ${shape === 'id' ? 'ID' : 'access'} token for ${userId} (${name}); roles: ${roles.join(', ')}; ` +
      `${scope}; expires in ${values['expires-in'] ?? '12h'}; keys: ${keysDir}`,
  );
  io.stdout(token);
  return 0;
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      role: { type: 'string', multiple: true },
      user: { type: 'string' },
      name: { type: 'string' },
      team: { type: 'string', multiple: true },
      system: { type: 'string', multiple: true },
      email: { type: 'string' },
      'github-login': { type: 'string' },
      access: { type: 'boolean' },
      'data-dir': { type: 'string' },
      'expires-in': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

const invokedDirectly =
  process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href;
if (invokedDirectly) {
  runTokenCli(process.argv.slice(2), {
    stdout: (line) => process.stdout.write(`${line}\n`),
    stderr: (line) => process.stderr.write(`${line}\n`),
    cwd: process.cwd(),
  }).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
