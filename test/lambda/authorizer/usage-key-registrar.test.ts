/**
 * The per-caller key registrar: its records in a real DynamoDB-compatible server (dynalite, conditional
 * writes and all), API Gateway's key management through aws-sdk-client-mock (a paid AWS control plane
 * with no local stand-in).
 */
import {
  APIGatewayClient,
  ConflictException,
  CreateApiKeyCommand,
  CreateUsagePlanKeyCommand,
  GetApiKeysCommand,
  GetUsagePlansCommand,
  LimitExceededException,
} from '@aws-sdk/client-api-gateway';
import { GetItemCommand, PutItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { beforeEach, describe, expect, test } from 'vitest';
import { callerKeyName, callerKeyRecordId, callerKeyValue } from '../../../common/usage-caller-keys';
import type { CallerKeyRequest } from '../../../lambda/authorizer/usage-key-registrar';
import { createCallerKeyRegistrar } from '../../../lambda/authorizer/usage-key-registrar';
import { apiGatewayKeys, dynamoDbCallerKeyRecords } from '../../../lambda/authorizer/usage-key-registrar-aws';
import { useCallerKeyTables } from '../../support/caller-key-table';

const SECRET = 'TierSecret0000000000000000000000000000001';
const API = { apiId: 'abcdef1234', stage: 'dev' };
const PLAN = { id: 'plan1', name: 'keygate-free', apiStages: [API], tags: { 'keygate:usage-tier': 'free' } };

function requestFor(sub: string): CallerKeyRequest {
  const value = callerKeyValue(SECRET, 'free', { issuer: 'https://sso.example.com/realms/ml', sub })!;
  const recordId = callerKeyRecordId('free', value);
  return {
    recordId,
    keyName: callerKeyName(recordId),
    value,
    tier: 'free',
    ...API,
    caller: `https://sso.example.com/realms/ml ${sub}`,
  };
}

const tables = useCallerKeyTables('caller-keys');
const { apigw } = tables;

beforeEach(() => {
  apigw.on(GetUsagePlansCommand).resolves({ items: [PLAN] });
  apigw
    .on(CreateApiKeyCommand)
    .callsFake((input: { name: string }) => ({ id: `key-${input.name.slice(-6)}` }));
  apigw.on(CreateUsagePlanKeyCommand).resolves({});
});

/** A container: its own registrar (and memory), the shared table and API Gateway. */
function container(options: { now?: () => number; waitTries?: number } = {}) {
  return createCallerKeyRegistrar({
    records: dynamoDbCallerKeyRecords(tables.server().client(), tables.table()),
    gateway: apiGatewayKeys(new APIGatewayClient({ region: 'eu-west-1' })),
    sleep: () => new Promise((r) => setTimeout(r, 5)),
    waitTries: options.waitTries ?? 200,
    ...(options.now ? { now: options.now } : {}),
  });
}

async function items() {
  const out = await tables
    .server()
    .client()
    .send(new ScanCommand({ TableName: tables.table() }));
  return out.Items ?? [];
}

describe('caller key registrar', () => {
  test('registers a new caller once: key created with the derived value, added to the tagged plan, recorded', async () => {
    // GIVEN a caller never seen WHEN its key is ensured
    const r = requestFor('alice');
    expect(await container().ensure(r)).toEqual({ ok: true });
    // THEN one API key with the derived value and a name that is not the value, in plan1
    expect(apigw.commandCalls(CreateApiKeyCommand).map((c) => c.args[0].input)).toEqual([
      { name: r.keyName, value: r.value, enabled: true },
    ]);
    expect(r.keyName).not.toContain(r.value);
    expect(apigw.commandCalls(CreateUsagePlanKeyCommand).map((c) => c.args[0].input)).toEqual([
      { usagePlanId: 'plan1', keyId: `key-${r.keyName.slice(-6)}`, keyType: 'API_KEY' },
    ]);
    // AND the record says registered, with the key id, and holds no key value
    const stored = await items();
    expect(stored).toHaveLength(1);
    expect(stored[0].state).toEqual({ S: 'registered' });
    expect(stored[0].apiKeyId).toEqual({ S: `key-${r.keyName.slice(-6)}` });
    expect(stored[0].caller).toEqual({ S: 'https://sso.example.com/realms/ml alice' });
    expect(JSON.stringify(stored)).not.toContain(r.value);
  });

  test('a known caller costs no API Gateway call: the same or another container reads the record', async () => {
    const r = requestFor('alice');
    const first = container();
    await first.ensure(r);
    apigw.resetHistory();
    expect(await first.ensure(r)).toEqual({ ok: true });
    expect(await container().ensure(r)).toEqual({ ok: true });
    expect(apigw.calls()).toHaveLength(0);
  });

  test('two containers at once: the conditional put lets one register, the other waits for it', async () => {
    const r = requestFor('bob');
    const results = await Promise.all([container().ensure(r), container().ensure(r), container().ensure(r)]);
    expect(results).toEqual([{ ok: true }, { ok: true }, { ok: true }]);
    expect(apigw.commandCalls(CreateApiKeyCommand)).toHaveLength(1);
    expect(apigw.commandCalls(CreateUsagePlanKeyCommand)).toHaveLength(1);
  });

  test('different callers get different keys and records', async () => {
    const c = container();
    await c.ensure(requestFor('alice'));
    await c.ensure(requestFor('bob'));
    const values = apigw.commandCalls(CreateApiKeyCommand).map((x) => x.args[0].input.value);
    expect(new Set(values).size).toBe(2);
    expect(await items()).toHaveLength(2);
  });

  test('an interrupted earlier registration: the existing key is found by name, a key already in the plan is fine', async () => {
    const r = requestFor('carol');
    apigw
      .on(CreateApiKeyCommand)
      .rejects(new ConflictException({ message: 'API Key already exists', $metadata: {} }));
    apigw.on(GetApiKeysCommand).resolves({ items: [{ id: 'key-existing', name: r.keyName }] });
    apigw
      .on(CreateUsagePlanKeyCommand)
      .rejects(new ConflictException({ message: 'already in plan', $metadata: {} }));
    expect(await container().ensure(r)).toEqual({ ok: true });
    expect(apigw.commandCalls(GetApiKeysCommand)[0].args[0].input).toEqual({
      nameQuery: r.keyName,
      includeValues: false,
      limit: 25,
    });
    expect((await items())[0].apiKeyId).toEqual({ S: 'key-existing' });
  });

  test('the account is out of API keys: fails closed with the error name, releases the claim, retries next time', async () => {
    const r = requestFor('dave');
    apigw
      .on(CreateApiKeyCommand)
      .rejects(new LimitExceededException({ message: 'limit exceeded', $metadata: {} }));
    const c = container();
    expect(await c.ensure(r)).toEqual({ ok: false, cause: 'failed', error: 'LimitExceededException' });
    expect(await items()).toHaveLength(0);
    // WHEN keys are available again THEN the next request registers
    apigw.on(CreateApiKeyCommand).resolves({ id: 'key-dave' });
    expect(await c.ensure(r)).toEqual({ ok: true });
    expect((await items())[0].state).toEqual({ S: 'registered' });
  });

  test('no usage plan of the stage carries the tier tag: fails closed, nothing created', async () => {
    apigw.on(GetUsagePlansCommand).resolves({
      items: [
        { ...PLAN, apiStages: [{ apiId: API.apiId, stage: 'prod' }] },
        { ...PLAN, id: 'p2', tags: {} },
      ],
    });
    expect(await container().ensure(requestFor('erin'))).toEqual({
      ok: false,
      cause: 'failed',
      error: 'NoUsagePlanForTier',
    });
    expect(apigw.commandCalls(CreateApiKeyCommand)).toHaveLength(0);
  });

  test('the plan is found on a later page of GetUsagePlans, once per container', async () => {
    apigw
      .on(GetUsagePlansCommand, { position: undefined })
      .resolves({ items: [{ id: 'other', apiStages: [API], tags: {} }], position: 'p2' })
      .on(GetUsagePlansCommand, { position: 'p2' })
      .resolves({ items: [PLAN] });
    const c = container();
    await c.ensure(requestFor('frank'));
    await c.ensure(requestFor('grace'));
    expect(apigw.commandCalls(GetUsagePlansCommand)).toHaveLength(2);
    expect(apigw.commandCalls(CreateUsagePlanKeyCommand).map((x) => x.args[0].input.usagePlanId)).toEqual([
      'plan1',
      'plan1',
    ]);
  });

  test('a fresh claim of another container that never completes: pending (fail closed), then taken over once stale', async () => {
    const r = requestFor('heidi');
    let now = 1_000_000;
    const client = tables.server().client();
    await client.send(
      new PutItemCommand({
        TableName: tables.table(),
        Item: {
          id: { S: r.recordId },
          state: { S: 'pending' },
          tier: { S: 'free' },
          caller: { S: 'x' },
          claimedAt: { N: String(now) },
        },
      }),
    );
    const c = container({ now: () => now, waitTries: 2 });
    expect(await c.ensure(r)).toEqual({ ok: false, cause: 'pending' });
    expect(apigw.commandCalls(CreateApiKeyCommand)).toHaveLength(0);
    now += 30_001;
    expect(await c.ensure(r)).toEqual({ ok: true });
    const got = await client.send(
      new GetItemCommand({ TableName: tables.table(), Key: { id: { S: r.recordId } } }),
    );
    expect(got.Item?.state).toEqual({ S: 'registered' });
    expect(apigw.commandCalls(CreateApiKeyCommand)).toHaveLength(1);
  });

  test('the table cannot be read: fails closed', async () => {
    const broken = createCallerKeyRegistrar({
      records: dynamoDbCallerKeyRecords(tables.server().client(), 'no-such-table'),
      gateway: apiGatewayKeys(new APIGatewayClient({ region: 'eu-west-1' })),
    });
    expect(await broken.ensure(requestFor('ivan'))).toEqual({
      ok: false,
      cause: 'failed',
      error: 'ResourceNotFoundException',
    });
    expect(apigw.calls()).toHaveLength(0);
  });
});
