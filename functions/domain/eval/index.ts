// The public API of the evaluation core: executors, metric aggregation, verdicts and batching.
export {
  type BatchDescriptor,
  type BatchScore,
  labelsOf,
  planBatches,
  type ScoreBatchInput,
  type SimulatedBatchInput,
  type SubmittedBatchInput,
  scoreBatch,
} from './batches.js';
export {
  addResult,
  type EvalAggregate,
  emptyAggregate,
  type FinishedMetrics,
  finishMetrics,
  isSliceTag,
  type LabelCounts,
  mergeAggregates,
  nearestRank,
  type SliceCounts,
} from './metrics.js';
export { expectedOutputLabelOf, isCorrect, predictedLabelOf } from './outcome.js';
export { isSchemaValid, type OutputValidator, outputValidator } from './schema.js';
export {
  correctProbability,
  expectedSimulation,
  type ModelProfile,
  type ModelTier,
  malformedProbability,
  medianLatencyMs,
  modelProfile,
  SIMULATION,
  type SimulateCaseInput,
  type SimulatedModelConfig,
  type SimulatedPrompt,
  type SimulationExpectation,
  simulateCase,
} from './simulated-executor.js';
export {
  parseSubmission,
  type ScoreSubmittedCaseInput,
  type Submission,
  scoreSubmittedCase,
} from './submitted-executor.js';
export {
  applyThresholds,
  type BaselineKind,
  type CompareWithBaselineInput,
  compareWithBaseline,
  type EvalVerdict,
  evalVerdict,
  formatNumber,
} from './verdict.js';
