/**
 * Where each DPoP proof's `jti` is remembered until the proof is too old to be accepted anyway
 * (RFC 9449 section 11.1). Two implementations of one small interface:
 *
 * - DynamoDbReplayStore: one conditional PutItem per proof on a table with TTL (the constructs create it:
 *   partition key `pk`, TTL attribute `expiresAt`). The condition makes the first writer win across every
 *   container; a second use fails with ConditionalCheckFailedException. DynamoDB deletes expired items
 *   late (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/howitworks-ttl.html), so the
 *   condition also lets an expired item be overwritten.
 * - MemoryReplayStore: a bounded map for one process (the local gateway, tests).
 *
 * Keys are scoped by the proof key's thumbprint, so one client's jti can never block another's.
 */
import type * as DynamoDb from '@aws-sdk/client-dynamodb';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { REPLAY_TABLE } from '../../common/token-binding';

export type ReplayVerdict = 'first' | 'replayed' | 'unavailable';

export interface ReplayStore {
  /** Records a proof id until `expiresAt` (epoch seconds); 'first' only for its first use. Never throws. */
  firstUse(jkt: string, jti: string, expiresAt: number, now: number): Promise<ReplayVerdict>;
}

export { REPLAY_TABLE };

export function replayKey(jkt: string, jti: string): string {
  return `${jkt} ${jti}`;
}

/** Bounded: when full, expired entries are swept; if it is still full, new proofs are refused (fail closed). */
export class MemoryReplayStore implements ReplayStore {
  private readonly seen = new Map<string, number>();
  constructor(private readonly maxEntries = 100_000) {}
  firstUse(jkt: string, jti: string, expiresAt: number, now: number): Promise<ReplayVerdict> {
    const key = replayKey(jkt, jti);
    const until = this.seen.get(key);
    if (until !== undefined && until >= now) return Promise.resolve('replayed');
    if (until === undefined && this.seen.size >= this.maxEntries) {
      for (const [k, t] of this.seen) if (t < now) this.seen.delete(k);
      if (this.seen.size >= this.maxEntries) return Promise.resolve('unavailable');
    }
    this.seen.set(key, expiresAt);
    return Promise.resolve('first');
  }
}

/** The part of `@aws-sdk/client-dynamodb` the store uses. */
export type DynamoDbSdk = Pick<typeof DynamoDb, 'DynamoDBClient' | 'PutItemCommand'>;

export class DynamoDbReplayStore implements ReplayStore {
  private client?: DynamoDBClient;
  /**
   * @param loadSdk loads the SDK on first use, so an authorizer without DPoP never loads it. The Lambda
   *   passes a `require` (the runtime's SDK is found through NODE_PATH, which ESM `import()` ignores).
   *   @default dynamic import
   */
  constructor(
    private readonly tableName: string,
    client?: DynamoDBClient,
    private readonly loadSdk: () => DynamoDbSdk | Promise<DynamoDbSdk> = () =>
      import('@aws-sdk/client-dynamodb'),
  ) {
    this.client = client;
  }

  async firstUse(jkt: string, jti: string, expiresAt: number, now: number): Promise<ReplayVerdict> {
    try {
      const sdk = await this.loadSdk();
      this.client ??= new sdk.DynamoDBClient({});
      await this.client.send(
        new sdk.PutItemCommand({
          TableName: this.tableName,
          Item: {
            [REPLAY_TABLE.partitionKey]: { S: replayKey(jkt, jti) },
            [REPLAY_TABLE.ttlAttribute]: { N: String(expiresAt) },
          },
          ConditionExpression: 'attribute_not_exists(#pk) OR #exp < :now',
          ExpressionAttributeNames: { '#pk': REPLAY_TABLE.partitionKey, '#exp': REPLAY_TABLE.ttlAttribute },
          ExpressionAttributeValues: { ':now': { N: String(now) } },
        }),
      );
      return 'first';
    } catch (e) {
      return (e as { name?: unknown } | null)?.name === 'ConditionalCheckFailedException'
        ? 'replayed'
        : 'unavailable';
    }
  }
}
