/**
 * The revocation list in DynamoDB: one item per key (`pk`), its revocation time (`revokedAt`) and its
 * expiry (`expiresAt`, the table's TTL attribute). DynamoDB deletes expired items only eventually (up to
 * days later: https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/howitworks-ttl.html), so
 * every read compares `expiresAt` itself.
 *
 * Costs: a lookup is one BatchGetItem of at most two keys (the token's sid and sub), eventually consistent
 * (half a read unit per item up to 4 KB); a logout is one conditional PutItem for its jti and one
 * conditional PutItem for each of its (at most two) entries.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type * as DynamoDbSdk from '@aws-sdk/client-dynamodb';
import { REVOCATION_TABLE } from '../../common/revocation';
import type { RevocationEntry, RevocationStore } from './revocation-store';

const { partitionKey: PK, revokedAtAttribute: REVOKED_AT, ttlAttribute: EXPIRES_AT } = REVOCATION_TABLE;

/** The SDK's commands, loaded on first use: an authorizer without revocation never loads the client. */
type Sdk = typeof DynamoDbSdk;

export class DynamoDbRevocationStore implements RevocationStore {
  private sdk?: Sdk;
  /** DynamoDB read requests made (one per lookup), for the bench. */
  public reads = 0;

  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  private commands(): Sdk {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return (this.sdk ??= require('@aws-sdk/client-dynamodb') as Sdk);
  }

  async revoke(entries: readonly RevocationEntry[]): Promise<void> {
    const { PutItemCommand, ConditionalCheckFailedException } = this.commands();
    // A logout token yields at most two entries. Each is written only over an earlier revocation of its
    // key (as MemoryRevocationStore does): a logout received later by a container whose clock is behind
    // must not move a key's revocation time back and so readmit tokens issued in between.
    for (const e of entries) {
      try {
        await this.client.send(
          new PutItemCommand({
            TableName: this.tableName,
            Item: {
              [PK]: { S: e.key },
              [REVOKED_AT]: { N: String(e.revokedAt) },
              [EXPIRES_AT]: { N: String(e.expiresAt) },
            },
            ConditionExpression: 'attribute_not_exists(#pk) OR #rev <= :rev',
            ExpressionAttributeNames: { '#pk': PK, '#rev': REVOKED_AT },
            ExpressionAttributeValues: { ':rev': { N: String(e.revokedAt) } },
          }),
        );
      } catch (err) {
        // A later revocation of the key is already stored: it stands.
        if (!(err instanceof ConditionalCheckFailedException)) throw err;
      }
    }
  }

  async claimOnce(key: string, expiresAt: number, nowSeconds: number): Promise<boolean> {
    const { PutItemCommand, ConditionalCheckFailedException } = this.commands();
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: {
            [PK]: { S: key },
            [REVOKED_AT]: { N: String(nowSeconds) },
            [EXPIRES_AT]: { N: String(expiresAt) },
          },
          // A jti seen before counts until its entry expires, whether or not TTL has deleted it yet.
          ConditionExpression: 'attribute_not_exists(#pk) OR #exp <= :now',
          ExpressionAttributeNames: { '#pk': PK, '#exp': EXPIRES_AT },
          ExpressionAttributeValues: { ':now': { N: String(nowSeconds) } },
        }),
      );
      return true;
    } catch (e) {
      if (e instanceof ConditionalCheckFailedException) return false;
      throw e;
    }
  }

  async lookup(keys: readonly string[], nowSeconds: number): Promise<ReadonlyMap<string, number>> {
    const { BatchGetItemCommand } = this.commands();
    const found = new Map<string, number>();
    if (keys.length === 0) return found;
    let pending: Record<string, unknown>[] | undefined = [...new Set(keys)].map((k) => ({ [PK]: { S: k } }));
    for (let attempt = 0; pending && pending.length > 0; attempt++) {
      if (attempt === 3) throw new Error('revocation entries were not all read');
      this.reads++;
      const out = await this.client.send(
        new BatchGetItemCommand({
          RequestItems: {
            [this.tableName]: {
              Keys: pending as never,
              ProjectionExpression: '#pk, #rev, #exp',
              ExpressionAttributeNames: { '#pk': PK, '#rev': REVOKED_AT, '#exp': EXPIRES_AT },
            },
          },
        }),
      );
      for (const item of out.Responses?.[this.tableName] ?? []) {
        const key = item[PK]?.S;
        const revokedAt = Number(item[REVOKED_AT]?.N);
        const expiresAt = Number(item[EXPIRES_AT]?.N);
        if (key !== undefined && Number.isFinite(revokedAt) && expiresAt > nowSeconds)
          found.set(key, revokedAt);
      }
      pending = out.UnprocessedKeys?.[this.tableName]?.Keys as Record<string, unknown>[] | undefined;
    }
    return found;
  }
}
