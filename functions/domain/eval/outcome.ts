// How a case's output is judged, shared by every executor so that a simulated and a submitted result of the
// same output are scored alike.
import type { EvalCase } from '../types.js';

/** The label an output predicts: its `label` member when that is a string, else null. */
export function predictedLabelOf(output: Record<string, unknown> | null): string | null {
  const label = output?.label;
  return typeof label === 'string' ? label : null;
}

/** The label a generative case expects, read from `expectedOutput.label` when that is a string. */
function expectedOutputLabelOf(evalCase: EvalCase): string | null {
  const label = evalCase.expectedOutput?.label;
  return typeof label === 'string' ? label : null;
}

/**
 * Whether a case is answered correctly. Labelled cases: the predicted label equals the expected label.
 * Generative cases (expectedLabel null): the output is schema-valid and, when expectedOutput has a string
 * `label`, the output's label equals it.
 */
export function isCorrect(evalCase: EvalCase, predictedLabel: string | null, schemaValid: boolean): boolean {
  if (evalCase.expectedLabel !== null) return predictedLabel === evalCase.expectedLabel;
  if (!schemaValid) return false;
  const wanted = expectedOutputLabelOf(evalCase);
  return wanted === null || predictedLabel === wanted;
}

/** The sorted distinct expected labels of the cases: the label set when a dataset does not declare one. */
export function labelsOf(cases: readonly EvalCase[]): string[] {
  const labels = new Set<string>();
  for (const c of cases) if (c.expectedLabel !== null) labels.add(c.expectedLabel);
  return [...labels].sort();
}
