// Judge configs (issue 17, ADR 0036): the routes every versioned artefact kind has. A judge calls one model config
// version of its own system: one that does not exist there, or was rejected, is the caller's error, named.
import { createJudgeConfigRequest } from '../contracts/index.js';
import { NotFoundError, ValidationError } from '../domain/errors.js';
import { judgeConfigProblems } from '../domain/judges.js';
import type { JudgeConfigVersion } from '../domain/types.js';
import { artefactRoutes } from './artefacts.js';
import { lambdaDeps } from './deps.js';
import { createHttpHandler } from './http.js';

export const routes = artefactRoutes(
  'judge_config',
  '/api/judge-configs',
  'judge config',
  createJudgeConfigRequest,
  async (req, body) => {
    const input = body as JudgeConfigVersion;
    // The judge's rules (placeholders, what its output schema requires), every problem by field.
    const problems = judgeConfigProblems(input);
    if (problems.length > 0)
      throw new ValidationError('the judge config breaks the rules of a judge', { errors: problems });
    const { systemId, modelConfigId } = input;
    const refuse = (message: string) => new ValidationError(message, { errors: [{ path: 'modelConfigId', message }] });
    const config = await req.deps.store.artefacts.getModelConfig(modelConfigId).catch((error: unknown) => {
      if (error instanceof NotFoundError) return null;
      throw error;
    });
    if (!config || config.systemId !== systemId) throw refuse('no such model config version of this system');
    if (config.status === 'rejected') throw refuse(`model config ${config.id} was rejected: a judge cannot call it`);
  },
);
export const handler = createHttpHandler(routes, lambdaDeps());
