/**
 * Entry point of the authorizer's revocation module (`revocation.js` beside `index.js` in the deployed
 * bundle), loaded only when the configuration has `revocation`: the check of logged-out sessions and
 * subjects (revocation-check.ts) and the DynamoDB revocation list it reads. The DynamoDB client is the one
 * the Node.js runtime ships (external to the bundle). An authorizer without revocation never loads it.
 */
import type * as DynamoDbSdk from '@aws-sdk/client-dynamodb';
import type { RevocationStore } from '../revocation/revocation-store';
import { DynamoDbRevocationStore } from '../revocation/dynamodb-revocation-store';

export { validateRevocationBlock } from '../../common/revocation';
export { revocationCheckFor, withRevocationCheck } from './revocation-check';

/** The deployed list: the DynamoDB table the configuration names (RevocationList grants the read). */
export function productionRevocationStore(tableName: string): RevocationStore {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { DynamoDBClient } = require('@aws-sdk/client-dynamodb') as typeof DynamoDbSdk;
  return new DynamoDbRevocationStore(new DynamoDBClient({}), tableName);
}
