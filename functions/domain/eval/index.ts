// The public API of the evaluation core: executors, metric aggregation, verdicts and batching.
export {
  type BatchDescriptor,
  planBatches,
  scoreBatch,
} from './batches.js';
export {
  budgetAllows,
  budgetDay,
  budgetReservation,
  ceilingMessage,
  ceilingReached,
  estimateOverCeiling,
  estimateRunCost,
  inputJsonChars,
  perCallBound,
} from './cost-estimate.js';
export {
  addResult,
  type EvalAggregate,
  emptyAggregate,
  finishMetrics,
  isSliceTag,
  mergeAggregates,
  nearestRank,
} from './metrics.js';

export { labelsOf } from './outcome.js';
export { submissionsFromPromptfoo } from './promptfoo-results.js';
export { isSchemaValid, outputValidator, schemaViolation } from './schema.js';
export {
  expectedSimulation,
  modelProfile,
  type SimulatedModelConfig,
  type SimulatedPrompt,
  simulateCase,
} from './simulated-executor.js';
export {
  assertSliceCap,
  BASE_BATCH_SIZE,
  MAX_BATCHES_PER_RUN,
  MAX_SLICES_PER_RUN,
  type RunSizing,
  type SizingLimits,
  sizeRun,
  sliceTagsOf,
} from './sizing.js';
export {
  parseSubmission,
  type Submission,
  scoreSubmittedCase,
} from './submitted-executor.js';
export {
  applyThresholds,
  compareWithBaseline,
  evalVerdict,
  formatNumber,
} from './verdict.js';
