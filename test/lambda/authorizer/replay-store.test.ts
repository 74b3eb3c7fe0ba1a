import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import {
  DynamoDbReplayStore,
  MemoryReplayStore,
  REPLAY_TABLE,
  replayKey,
} from '../../../lambda/authorizer/replay-store';
import { type DynamoDbServer, startDynamoDbServer } from '../../support/dynamodb-server';

const JKT = 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs';
const NOW = 1_760_000_000;

describe('DynamoDbReplayStore (dynalite, real SDK client)', () => {
  let server: DynamoDbServer;
  const TABLE = 'keygate-dpop-replay';
  beforeAll(async () => {
    server = await startDynamoDbServer();
    await server.createTable({
      TableName: TABLE,
      KeySchema: [{ AttributeName: REPLAY_TABLE.partitionKey, KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: REPLAY_TABLE.partitionKey, AttributeType: 'S' }],
    });
  });
  afterAll(() => server.close());

  it('accepts a jti once, refuses it afterwards, and stores its expiry for TTL', async () => {
    const store = new DynamoDbReplayStore(TABLE, server.client());
    expect(await store.firstUse(JKT, 'j-1', NOW + 90, NOW)).toBe('first');
    expect(await store.firstUse(JKT, 'j-1', NOW + 91, NOW + 1)).toBe('replayed');
    const item = await server
      .client()
      .send(new GetItemCommand({ TableName: TABLE, Key: { pk: { S: replayKey(JKT, 'j-1') } } }));
    expect(item.Item).toEqual({ pk: { S: `${JKT} j-1` }, expiresAt: { N: String(NOW + 90) } });
  });

  it('sees a use by another container (another client on the same table) as a replay', async () => {
    const a = new DynamoDbReplayStore(TABLE, server.client());
    const b = new DynamoDbReplayStore(TABLE, server.client());
    const verdicts = await Promise.all([
      a.firstUse(JKT, 'j-race', NOW + 90, NOW),
      b.firstUse(JKT, 'j-race', NOW + 90, NOW),
    ]);
    expect(verdicts.sort()).toEqual(['first', 'replayed']);
  });

  it('scopes jti by key: the same jti under another key is a first use', async () => {
    const store = new DynamoDbReplayStore(TABLE, server.client());
    expect(await store.firstUse(JKT, 'j-2', NOW + 90, NOW)).toBe('first');
    expect(await store.firstUse(`${JKT.slice(0, 42)}A`, 'j-2', NOW + 90, NOW)).toBe('first');
  });

  it('lets an expired item that TTL has not deleted yet be written again', async () => {
    const store = new DynamoDbReplayStore(TABLE, server.client());
    expect(await store.firstUse(JKT, 'j-3', NOW + 90, NOW)).toBe('first');
    expect(await store.firstUse(JKT, 'j-3', NOW + 200, NOW + 91)).toBe('first');
  });

  it('answers unavailable (never first) when the table does not exist', async () => {
    const store = new DynamoDbReplayStore('no-such-table', server.client());
    expect(await store.firstUse(JKT, 'j-4', NOW + 90, NOW)).toBe('unavailable');
  });
});

describe('MemoryReplayStore', () => {
  it('accepts a jti once until it expires', async () => {
    const store = new MemoryReplayStore();
    expect(await store.firstUse(JKT, 'j', NOW + 90, NOW)).toBe('first');
    expect(await store.firstUse(JKT, 'j', NOW + 90, NOW + 90)).toBe('replayed');
    expect(await store.firstUse(JKT, 'j', NOW + 200, NOW + 91)).toBe('first');
  });

  it('when full, sweeps expired entries, and refuses new proofs if none expired', async () => {
    const store = new MemoryReplayStore(2);
    expect(await store.firstUse(JKT, 'a', NOW + 10, NOW)).toBe('first');
    expect(await store.firstUse(JKT, 'b', NOW + 90, NOW)).toBe('first');
    expect(await store.firstUse(JKT, 'c', NOW + 90, NOW)).toBe('unavailable');
    expect(await store.firstUse(JKT, 'c', NOW + 90, NOW + 11)).toBe('first');
    expect(await store.firstUse(JKT, 'b', NOW + 90, NOW + 11)).toBe('replayed');
  });
});
