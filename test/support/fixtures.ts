// Inputs of a minimal governed system, for store and API tests.
import type { ModelCardNarrative, Threshold } from '../../functions/domain/types.js';
import type { ModelConfigInput, PromptInput } from '../../functions/store/artefacts.js';
import type { SystemInput } from '../../functions/store/systems.js';

export function systemInput(overrides: Partial<SystemInput> = {}): SystemInput {
  return {
    name: `Test system ${Math.random().toString(36).slice(2, 8)}`,
    description: 'A system for tests',
    ownerTeam: 'support-ai',
    owner: 'omar.owner',
    riskTier: 'medium',
    euAiActCategory: 'limited',
    domain: 'customer support',
    intendedPurpose: 'Route support tickets to the right queue',
    dataSources: ['support tickets'],
    humanOversight: 'Agents review every routed ticket',
    modelCard: modelCardNarrative(),
    ...overrides,
  };
}

/** A model card narrative with every section filled, so high and critical systems of tests can be promoted. */
export function modelCardNarrative(overrides: Partial<ModelCardNarrative> = {}): ModelCardNarrative {
  return {
    intendedUsers: ['support agents'],
    intendedUses: ['route support tickets to a queue'],
    outOfScopeUses: ['replying to customers'],
    limitations: ['tickets in languages other than English and German'],
    tradeoffs: [],
    ethicalConsiderations: [{ name: 'misrouted complaints', mitigationStrategy: 'agents re-route with one click' }],
    fairnessAssessment: 'accuracy compared per language slice',
    caveatsAndRecommendations: '',
    oversightProcedure: 'the owner reviews a weekly sample of routed tickets',
    riskRationale: 'customer-facing, no decision about a customer',
    contacts: [{ name: 'Omar Owner', role: 'owner', contact: 'omar.owner' }],
    ...overrides,
  };
}

export const OUTPUT_CONTRACT = {
  type: 'object',
  required: ['label', 'confidence'],
  properties: { label: { type: 'string' }, confidence: { type: 'number' }, rationale: { type: 'string' } },
};

export function promptInput(systemId: string, overrides: Partial<PromptInput> = {}): PromptInput {
  return {
    systemId,
    name: 'triage',
    template: 'Classify the ticket: {{ticket}}',
    variables: ['ticket'],
    inputContract: { type: 'object', required: ['ticket'], properties: { ticket: { type: 'string' } } },
    outputContract: OUTPUT_CONTRACT,
    changeSummary: 'first version',
    ...overrides,
  };
}

export function modelConfigInput(systemId: string, overrides: Partial<ModelConfigInput> = {}): ModelConfigInput {
  return {
    systemId,
    name: 'primary',
    provider: 'openai',
    model: 'gpt-4o-mini',
    parameters: { temperature: 0.1, maxTokens: 256, topP: 1 },
    timeoutMs: 5000,
    routingPolicy: { strategy: 'single', routes: [{ target: 'gpt-4o-mini', weight: 1 }] },
    fallbackPolicy: { enabled: true, fallbackModel: 'gpt-4o', maxRetries: 1 },
    costRates: { inputPer1k: 0.00015, outputPer1k: 0.0006 },
    lineage: { artifactUri: 's3://models/gpt-4o-mini', trainingDataVersion: 'vendor-2024-07', codeCommit: 'abc1234' },
    changeSummary: 'first config',
    ...overrides,
  };
}

export const LENIENT_THRESHOLDS: Threshold[] = [
  { metric: 'accuracy', direction: 'min', value: 0.5, regressionTolerance: null },
  { metric: 'timeoutRate', direction: 'max', value: 0.5, regressionTolerance: null },
];

export function cases(n: number, labels = ['billing', 'technical', 'account']) {
  return Array.from({ length: n }, (_, i) => ({
    caseId: `case-${i}`,
    input: { ticket: `ticket number ${i}` },
    expectedLabel: labels[i % labels.length] as string,
    expectedOutput: null,
    tags: [i % 2 ? 'lang:en' : 'lang:de'],
  }));
}
