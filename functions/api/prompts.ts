import { createPromptRequest } from '../contracts/index.js';
import { artefactRoutes } from './artefacts.js';
import { lambdaDeps } from './deps.js';
import { createHttpHandler } from './http.js';

export const routes = artefactRoutes('prompt', '/api/prompts', 'prompt version', createPromptRequest);
export const handler = createHttpHandler(routes, lambdaDeps());
