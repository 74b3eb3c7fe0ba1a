/**
 * The DynamoDB revocation list through the real AWS SDK client against a DynamoDB-compatible server
 * (dynalite, test/support/dynamodb-server.ts), with the table shape RevocationList creates.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REVOCATION_TABLE, logoutJtiKey, revocationKey } from '../../../common/revocation';
import { DynamoDbRevocationStore } from '../../../lambda/revocation/dynamodb-revocation-store';
import { MemoryRevocationStore } from '../../../lambda/revocation/revocation-store';
import { startDynamoDbServer } from '../../support/dynamodb-server';
import type { DynamoDbServer } from '../../support/dynamodb-server';

const ISS = 'https://sso.example.com/realms/keygate';
const NOW = 1_900_000_000;
let server: DynamoDbServer;
let n = 0;

beforeAll(async () => {
  server = await startDynamoDbServer();
});
afterAll(() => server.close());

async function store(): Promise<DynamoDbRevocationStore> {
  const name = `revocations-${++n}`;
  await server.createTable({
    TableName: name,
    KeySchema: [{ AttributeName: REVOCATION_TABLE.partitionKey, KeyType: 'HASH' }],
    AttributeDefinitions: [{ AttributeName: REVOCATION_TABLE.partitionKey, AttributeType: 'S' }],
  });
  return new DynamoDbRevocationStore(server.client(), name);
}

describe('DynamoDbRevocationStore', () => {
  it('finds what was revoked, in one read for a sid and a sub', async () => {
    const s = await store();
    const sid = revocationKey(ISS, 'sid', 's-1');
    const sub = revocationKey(ISS, 'sub', 'u-1');
    await s.revoke([{ key: sid, revokedAt: NOW, expiresAt: NOW + 3600 }]);
    const found = await s.lookup([sid, sub], NOW);
    expect([...found]).toEqual([[sid, NOW]]);
    expect(s.reads).toBe(1);
  });

  it('a later revocation of the same key replaces the earlier one', async () => {
    const s = await store();
    const sub = revocationKey(ISS, 'sub', 'u-1');
    await s.revoke([{ key: sub, revokedAt: NOW, expiresAt: NOW + 3600 }]);
    await s.revoke([{ key: sub, revokedAt: NOW + 100, expiresAt: NOW + 3700 }]);
    expect((await s.lookup([sub], NOW + 100)).get(sub)).toBe(NOW + 100);
  });

  it('an earlier revocation of the same key (a container whose clock is behind) leaves the later one', async () => {
    const s = await store();
    const sub = revocationKey(ISS, 'sub', 'u-1');
    await s.revoke([{ key: sub, revokedAt: NOW + 100, expiresAt: NOW + 3700 }]);
    await s.revoke([{ key: sub, revokedAt: NOW, expiresAt: NOW + 3600 }]);
    expect((await s.lookup([sub], NOW + 100)).get(sub)).toBe(NOW + 100);
    // and the same as the in-memory store
    const m = new MemoryRevocationStore();
    await m.revoke([{ key: sub, revokedAt: NOW + 100, expiresAt: NOW + 3700 }]);
    await m.revoke([{ key: sub, revokedAt: NOW, expiresAt: NOW + 3600 }]);
    expect((await m.lookup([sub], NOW + 100)).get(sub)).toBe(NOW + 100);
  });

  it('ignores entries past their expiry, which DynamoDB TTL deletes only eventually', async () => {
    const s = await store();
    const sid = revocationKey(ISS, 'sid', 's-1');
    await s.revoke([{ key: sid, revokedAt: NOW, expiresAt: NOW + 60 }]);
    expect((await s.lookup([sid], NOW + 59)).size).toBe(1);
    expect((await s.lookup([sid], NOW + 60)).size).toBe(0);
  });

  it('claims a jti once until it expires, then again', async () => {
    const s = await store();
    const jti = logoutJtiKey(ISS, 'j-1');
    expect(await s.claimOnce(jti, NOW + 150, NOW)).toBe(true);
    expect(await s.claimOnce(jti, NOW + 150, NOW + 149)).toBe(false);
    expect(await s.claimOnce(jti, NOW + 300, NOW + 150)).toBe(true);
  });

  it('an empty lookup reads nothing', async () => {
    const s = await store();
    expect((await s.lookup([], NOW)).size).toBe(0);
    expect(s.reads).toBe(0);
  });

  it('fails (for the caller to deny) when the table does not exist', async () => {
    const s = new DynamoDbRevocationStore(server.client(), 'no-such-table');
    await expect(s.lookup([revocationKey(ISS, 'sid', 'x')], NOW)).rejects.toThrow();
  });
});
