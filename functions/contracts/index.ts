export * from './artefacts.js';
export * from './candidates.js';
export * from './common.js';
export * from './datasets.js';
export * from './evaluations.js';
export * from './incidents.js';
export * from './responses.js';
export * from './systems.js';
