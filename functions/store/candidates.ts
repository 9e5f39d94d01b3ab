// Release candidates: immutable snapshots of exact versions, judged by evals and approvals, promoted and rolled back.
// One module per concern under candidates/; this surface is what `store.candidates.*` binds.
export * from './candidates/approval-round.js';
export * from './candidates/build.js';
export * from './candidates/context.js';
export * from './candidates/gate-facts.js';
export * from './candidates/promotion.js';
export * from './candidates/rollback.js';
