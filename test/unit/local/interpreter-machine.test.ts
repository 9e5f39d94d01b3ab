// The local interpreter validates a state machine definition once per process (local/step-functions.ts
// `interpreterMachine`): the same text again skips the ASL schema compile, and an invalid definition is refused
// every time, never remembered as validated.
import { describe, expect, it } from 'vitest';
import { interpreterMachine, loadInterpreter } from '../../../local/step-functions.js';

const valid = { StartAt: 'Done', States: { Done: { Type: 'Succeed' } } };
const invalid = { StartAt: 'Missing', States: { Done: { Type: 'Succeed' } } };

describe('the local interpreter machine', () => {
  it('refuses an invalid definition every time, also after a valid one was built', async () => {
    const { StateMachine } = await loadInterpreter();
    interpreterMachine(StateMachine, valid);
    expect(() => interpreterMachine(StateMachine, invalid)).toThrow(/invalid/);
    expect(() => interpreterMachine(StateMachine, invalid)).toThrow(/invalid/);
  });

  it('runs a definition built a second time (validated only the first time) as it ran the first', async () => {
    const { StateMachine } = await loadInterpreter();
    const first = interpreterMachine(StateMachine, { ...valid, Comment: 'twice' });
    const second = interpreterMachine(StateMachine, { ...valid, Comment: 'twice' });
    const [a, b] = await Promise.all([first.run({ n: 1 }).result, second.run({ n: 2 }).result]);
    expect([a, b]).toEqual([{ n: 1 }, { n: 2 }]);
  });
});
