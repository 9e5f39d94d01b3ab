import { createModelConfigRequest } from '../contracts/index.js';
import { artefactRoutes } from './artefacts.js';
import { lambdaDeps } from './deps.js';
import { createHttpHandler } from './http.js';

export const routes = artefactRoutes('model_config', '/api/model-configs', 'model config', createModelConfigRequest);
export const handler = createHttpHandler(routes, lambdaDeps());
