/**
 * AWS glue: the deployed authorizer's revocation list is the DynamoDB table its configuration names
 * (RevocationList creates it and grants the authorizer read access). The DynamoDB client is the one the
 * Node.js runtime ships, loaded only when the configuration has `revocation`.
 */
import type * as DynamoDbSdk from '@aws-sdk/client-dynamodb';
import type { HandlerDeps } from './handler';
import { DynamoDbRevocationStore } from '../revocation/dynamodb-revocation-store';

export function withRevocationStore(deps: HandlerDeps): HandlerDeps {
  const tableName = deps.config.ok ? deps.config.config.revocation?.tableName : undefined;
  if (tableName === undefined) return deps;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { DynamoDBClient } = require('@aws-sdk/client-dynamodb') as typeof DynamoDbSdk;
  return { ...deps, revocationStore: new DynamoDbRevocationStore(new DynamoDBClient({}), tableName) };
}
