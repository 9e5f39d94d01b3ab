// The API's logger, metrics buffer and governance meter, one set per container (each API module is its own Lambda;
// POWERTOOLS_SERVICE_NAME names it `api-<module>` in AWS, `api` locally). The HTTP middleware stack sets the
// correlation id from the API Gateway request id and flushes the buffer once per request (observe()).
import { createObservability } from '../observability/index.js';

export const apiObservability = createObservability('api');
