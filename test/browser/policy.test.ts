// A policy change walked in real Chromium against the seeded local stack: a governance reviewer proposes a draft,
// dry-runs it and submits it; two other governance reviewers approve (the author is offered no Approve); Activate is
// enabled once the quorum is met, and the page shows the new version in force. The page is checked with axe-core
// (0 serious or critical findings), for layout shift (CLS < 0.1) and captured at 1280 and 768 px.
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadOrCreateDevKeys, mintToken } from '../../local/dev-keys.js';
import { type LocalStack, startLocalStack } from '../../local/stack.js';
import { devKeysDir } from '../../local/token.js';
import { contextFor, cumulativeLayoutShift, launchChromium, seriousAxeViolations } from './support.js';

const SCREENSHOTS = join(import.meta.dirname, '../../docs/screenshots');
const AUTHOR = 'greta.governance';

describe('a policy change in Chromium, from draft to activation', () => {
  let stack: LocalStack;
  let browser: Browser;
  let dataDir: string;
  /** Governance reviewers other than the author: the two who approve. */
  let approvers: string[];
  /** Tokens of reviewers the demo lacks, minted with the stack's development key. */
  const extraTokens: Record<string, string> = {};
  const token = (user: string) => {
    const t = stack.tokens[user]?.token ?? extraTokens[user];
    if (!t) throw new Error(`no token for ${user}`);
    return t;
  };
  const open = async (user: string, path: string, width = 1280): Promise<Page> => {
    const context = await contextFor(browser, token(user), width);
    const page = await context.newPage();
    await page.goto(stack.url + path);
    return page;
  };
  const draftCard = (page: Page, version: number) =>
    page.getByRole('listitem').filter({ has: page.getByRole('heading', { name: new RegExp(`^Version ${version}`) }) });

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'gov-browser-policy-'));
    stack = await startLocalStack({ port: 0, dataDir, inMemory: true, seed: true });
    browser = await launchChromium();
    approvers = Object.values(stack.tokens)
      .filter(({ principal }) => principal.userId !== AUTHOR && principal.roles.includes('reviewer:governance'))
      .map(({ principal }) => principal.userId);
    // The demo has one governance reviewer besides the author (gus.governance); a quorum of 2 needs two. The second
    // is an identity of this test, signed by the stack's development key as the demo's tokens are.
    if (approvers.length < 2) {
      const keys = await loadOrCreateDevKeys(devKeysDir(dataDir));
      extraTokens['gina.governance'] = await mintToken({
        keys,
        userId: 'gina.governance',
        name: 'Gina Governance',
        roles: ['reviewer:governance'],
        githubLogin: 'gina-gh',
      });
      approvers.push('gina.governance');
    }
    await mkdir(SCREENSHOTS, { recursive: true });
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('the demo has a governance reviewer besides the author', () => {
    expect(Object.keys(stack.tokens).filter((user) => approvers.includes(user)).length).toBeGreaterThanOrEqual(1);
  });

  it('greta proposes production high and critical needing two technical approvers, dry-runs and submits it; two other reviewers approve; it is activated and in force', async () => {
    // Prepare: the author proposes the change in the JSON editor, prefilled with version 1.
    const author = await open(AUTHOR, '/policy');
    await author.getByRole('heading', { name: /Version 1 in force/ }).waitFor();
    await author.getByText('Propose a change').click();
    const form = author.getByRole('form', { name: 'Propose a policy change' });
    const editor = form.getByLabel('Policy document (JSON)');
    const document = JSON.parse(await editor.inputValue()) as {
      promotionRules: { production: Record<string, { approvers: Record<string, number> }> };
    };
    for (const tier of ['high', 'critical']) {
      const rules = document.promotionRules.production[tier];
      if (!rules) throw new Error(`no promotion rules for ${tier}`);
      rules.approvers.technical = 2;
    }
    await editor.fill(JSON.stringify(document, null, 2));
    await form.getByLabel('Reason (required)').fill('two technical approvers for high-risk and critical systems');
    await form.getByRole('button', { name: 'Create the draft' }).click();
    await expect(form.getByRole('status').innerText()).resolves.toMatch(/Created draft version 2/);

    // The dry run: started from the draft's card, followed until it settles.
    const card = draftCard(author, 2);
    await card.getByRole('button', { name: 'Start a dry run' }).click();
    const dryRun = card.getByRole('status').filter({ hasText: 'Dry run' });
    await dryRun.filter({ hasText: /succeeded|failed/ }).waitFor();
    await expect(dryRun.innerText()).resolves.toMatch(/Dry run\s*succeeded.*would be blocked/s);

    // The author submits; she is offered no Approve, and Activate waits for the quorum.
    await card.getByRole('button', { name: 'Submit', exact: true }).click();
    await card.getByRole('button', { name: 'Confirm submit' }).click();
    await card.getByText('submitted', { exact: true }).waitFor();
    await expect(card.getByRole('button', { name: 'Approve' }).count()).resolves.toBe(0);
    await expect(card.getByRole('note').first().innerText()).resolves.toContain('You wrote this draft');
    await expect(card.getByRole('button', { name: 'Activate' }).isDisabled()).resolves.toBe(true);
    await author.context().close();

    // Act: two other governance reviewers approve.
    for (const [index, reviewer] of approvers.slice(0, 2).entries()) {
      const page = await open(reviewer, '/policy');
      const theirs = draftCard(page, 2);
      await theirs.getByRole('button', { name: 'Approve', exact: true }).click();
      await theirs.getByRole('button', { name: 'Confirm approve' }).click();
      await theirs.getByText(`Approvals: ${index + 1} of 2`).waitFor();
      await page.context().close();
    }

    // Assess: Activate is enabled for the author now, and activating puts version 2 in force.
    const activator = await open(AUTHOR, '/policy');
    const ready = draftCard(activator, 2);
    const activate = ready.getByRole('button', { name: 'Activate', exact: true });
    await activate.waitFor();
    await expect(activate.isEnabled()).resolves.toBe(true);
    await activate.click();
    await ready.getByRole('button', { name: 'Confirm activate' }).click();
    await activator.getByRole('heading', { name: /Version 2 in force/ }).waitFor();
    const high = activator
      .getByRole('table', { name: 'Promotion rules per environment and risk tier' })
      .getByRole('row', { name: /production, high/ });
    await expect(high.innerText()).resolves.toContain('technical ×2, product, risk');
    await activator.getByText('No draft awaits a decision.').waitFor();
    const history = activator.getByRole('table', { name: 'Policy versions, newest first' });
    await expect(history.innerText()).resolves.toMatch(/superseded/);
    await activator.context().close();
  });

  it('the policy page: no serious or critical axe finding, CLS under 0.1, screenshots at 1280 and 768 px', async () => {
    // A second draft awaiting approval, so that the page is checked and captured with a draft's controls on it.
    const headers = { authorization: `Bearer ${token(AUTHOR)}`, 'content-type': 'application/json' };
    const listed = (await (await fetch(`${stack.url}/api/policies`, { headers })).json()) as {
      active: { document: { reviewIntervalDays: Record<string, number> } & Record<string, unknown> };
    };
    const { version: _version, effectiveFrom: _effectiveFrom, ...document } = listed.active.document;
    document.reviewIntervalDays = { ...document.reviewIntervalDays, critical: 14 };
    const created = await fetch(`${stack.url}/api/policies`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ document, reason: 'review critical systems every two weeks' }),
    });
    expect(created.status).toBe(201);

    const failures: string[] = [];
    for (const width of [1280, 768]) {
      const page = await open(approvers[0] ?? AUTHOR, '/policy', width);
      await page
        .getByRole('heading', { name: /in force/ })
        .first()
        .waitFor();
      await page.waitForLoadState('networkidle');
      await page.waitForFunction('document.querySelector(\'[aria-busy="true"]\') === null');
      const cls = await cumulativeLayoutShift(page);
      if (cls >= 0.1) failures.push(`policy at ${width}px: CLS ${cls.toFixed(3)}`);
      if (width === 1280) {
        for (const v of await seriousAxeViolations(page)) {
          failures.push(
            `policy: axe ${v.impact} ${v.id} (${v.help}) at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`,
          );
        }
      }
      await page.screenshot({ path: join(SCREENSHOTS, `policy-${width}.png`) });
      await page.context().close();
    }
    expect(failures).toEqual([]);
  });
});
