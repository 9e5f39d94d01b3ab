// The dev stage's app, synthesised once per worker and shared by the CDK assertion files that read it unchanged
// (the unit tier runs with `isolate: false`, so files of one worker share this module). A file that adds
// constructs, aspects or other context builds its own app.
import cdkJson from '../../cdk.json' with { type: 'json' };
import { createGovernanceApp, type GovernanceApp } from '../../lib/app.js';

let built: GovernanceApp | undefined;

/** The dev stage as `npm run synth` builds it, without bundling; callers must not change it. */
export function devGovernanceApp(): GovernanceApp {
  built ??= createGovernanceApp({
    context: { ...cdkJson.context, stage: 'dev', 'aws:cdk:bundling-stacks': [] },
    builtinCloudFormationValidation: false,
  });
  return built;
}
