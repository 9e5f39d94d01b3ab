// Setup file of the stack tier: this worker's DynamoDB Local (test/global-setup.ts shares the run's out by pool id)
// is the one Lambda entries find in DYNAMO_ENDPOINT, as the tables the worker's tests create live there.
import { dynamoEndpoint } from './store.js';

process.env.DYNAMO_ENDPOINT = dynamoEndpoint();
