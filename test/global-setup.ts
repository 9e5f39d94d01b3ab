// One in-memory DynamoDB Local for the whole test run, with a capped heap. Tests read its endpoint with
// `inject('dynamoEndpoint')` or from process.env.DYNAMO_ENDPOINT (which test workers inherit).

import type { TestProject } from 'vitest/node';
import { onUnexpectedExit, startDynamoDbLocal } from '../local/dynamodb.js';

declare module 'vitest' {
  export interface ProvidedContext {
    dynamoEndpoint: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const dynamo = await startDynamoDbLocal({ heapMb: 512 });
  onUnexpectedExit(dynamo, ({ code, signal, output }) => {
    process.stderr.write(
      `\nDynamoDB Local (${dynamo.endpoint}) exited during the test run (${signal ?? `code ${code}`}):\n${output}\n`,
    );
    process.exitCode = 1;
  });
  process.env.DYNAMO_ENDPOINT = dynamo.endpoint;
  project.provide('dynamoEndpoint', dynamo.endpoint);
  return async () => {
    await dynamo.stop();
  };
}
