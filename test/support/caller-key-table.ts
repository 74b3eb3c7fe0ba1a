/**
 * What the per-caller key registrar's tests share: a DynamoDB-compatible server (dynalite) with a fresh
 * caller-key table per test, keyed as the registrar writes it, and API Gateway's client mocked with
 * aws-sdk-client-mock (a paid control plane with no local stand-in), reset before each test.
 */
import { APIGatewayClient } from '@aws-sdk/client-api-gateway';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { CALLER_KEY_TABLE_PARTITION_KEY } from '../../common/usage-caller-keys';
import type { DynamoDbServer } from './dynamodb-server';
import { startDynamoDbServer } from './dynamodb-server';

const mockApiGateway = () => mockClient(APIGatewayClient);

export interface CallerKeyTables {
  /** API Gateway's client, mocked; reset before each test (set its answers in a later beforeEach). */
  readonly apigw: ReturnType<typeof mockApiGateway>;
  /** The server, started before the file's tests. */
  server(): DynamoDbServer;
  /** The current test's table. */
  table(): string;
}

/** Registers the hooks: the server for the file, a table named `<prefix>-<n>` for each test. */
export function useCallerKeyTables(prefix: string): CallerKeyTables {
  const apigw = mockApiGateway();
  let server: DynamoDbServer | undefined;
  let count = 0;
  let table = '';
  beforeAll(async () => {
    server = await startDynamoDbServer();
  });
  afterAll(async () => {
    apigw.restore();
    await server?.close();
  });
  beforeEach(async () => {
    apigw.reset();
    table = `${prefix}-${++count}`;
    await server!.createTable({
      TableName: table,
      KeySchema: [{ AttributeName: CALLER_KEY_TABLE_PARTITION_KEY, KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: CALLER_KEY_TABLE_PARTITION_KEY, AttributeType: 'S' }],
    });
  });
  return { apigw, server: () => server!, table: () => table };
}
