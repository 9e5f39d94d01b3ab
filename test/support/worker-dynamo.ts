// Setup file of the stack tier: this worker's DynamoDB Local (test/global-setup.ts shares the run's out by pool id)
// is the one Lambda entries find in DYNAMO_ENDPOINT, as the tables the worker's tests create live there. A file of
// the tier starts only once the shared demo seed has ended (the global setup seeds beside the unit and infra tiers):
// no file's ports or load meet the seeding stack's. It imports the light wait (seed-settled.ts), not the local stack.
import { inject } from 'vitest';
import { seedSettled } from './seed-settled.js';
import { dynamoEndpoint } from './store.js';

process.env.DYNAMO_ENDPOINT = dynamoEndpoint();
await seedSettled(inject('seededDemoDir'));
