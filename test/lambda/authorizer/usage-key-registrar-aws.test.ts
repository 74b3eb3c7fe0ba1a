/**
 * The registrar's AWS glue (usage-key-registrar-aws.ts) step by step: the record store against a
 * DynamoDB-compatible server (dynalite), API Gateway's key management through aws-sdk-client-mock (a paid
 * control plane with no local stand-in), and `awsCallerKeyRegistrar` as the authorizer builds it, with the
 * SDK's default clients configured from the environment as in Lambda.
 * The registration pipeline over these pieces: usage-key-registrar.test.ts.
 */
import {
  APIGatewayClient,
  ConflictException,
  CreateApiKeyCommand,
  CreateUsagePlanKeyCommand,
  GetApiKeysCommand,
  GetUsagePlansCommand,
  NotFoundException,
} from '@aws-sdk/client-api-gateway';
import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { CALLER_KEY_PLAN_TAG, CALLER_KEY_TABLE_PARTITION_KEY } from '../../../common/usage-caller-keys';
import {
  apiGatewayKeys,
  awsCallerKeyRegistrar,
  dynamoDbCallerKeyRecords,
} from '../../../lambda/authorizer/usage-key-registrar-aws';
import { useCallerKeyTables } from '../../support/caller-key-table';

const tables = useCallerKeyTables('glue');
const { apigw } = tables;

const conflict = () => new ConflictException({ message: 'conflict', $metadata: {} });

async function put(item: Record<string, { S: string } | { N: string }>) {
  await tables
    .server()
    .client()
    .send(new PutItemCommand({ TableName: tables.table(), Item: item }));
}
async function stored(id: string) {
  return (
    await tables
      .server()
      .client()
      .send(
        new GetItemCommand({
          TableName: tables.table(),
          Key: { [CALLER_KEY_TABLE_PARTITION_KEY]: { S: id } },
        }),
      )
  ).Item;
}

describe('dynamoDbCallerKeyRecords', () => {
  const records = () => dynamoDbCallerKeyRecords(tables.server().client(), tables.table());

  test('get: a record of an unknown state is no record; a pending one has no key id; claimedAt defaults to 0', async () => {
    await put({ id: { S: 'odd' }, state: { S: 'revoked' }, claimedAt: { N: '5' } });
    await put({ id: { S: 'waiting' }, state: { S: 'pending' } });
    await put({
      id: { S: 'done' },
      state: { S: 'registered' },
      claimedAt: { N: '7' },
      apiKeyId: { S: 'k1' },
    });
    expect(await records().get('absent')).toBeUndefined();
    expect(await records().get('odd')).toBeUndefined();
    expect(await records().get('waiting')).toEqual({ state: 'pending', claimedAt: 0 });
    expect(await records().get('done')).toEqual({ state: 'registered', claimedAt: 7, apiKeyId: 'k1' });
  });

  test('claim: once per record; a registered record is never taken over, a stale pending one is', async () => {
    const r = records();
    const claim = { tier: 'free', caller: 'https://sso.example.com/realms/ml u1', claimedAt: 100 };
    expect(await r.claim('a', claim, 0)).toBe(true);
    expect(await r.claim('a', { ...claim, claimedAt: 150 }, 100)).toBe(false); // not older than 100
    expect(await r.claim('a', { ...claim, claimedAt: 200 }, 101)).toBe(true); // stale: taken over
    expect(await stored('a')).toEqual({
      id: { S: 'a' },
      state: { S: 'pending' },
      tier: { S: 'free' },
      caller: { S: 'https://sso.example.com/realms/ml u1' },
      claimedAt: { N: '200' },
    });
    await r.complete('a', 'key-a', 300);
    expect(await r.claim('a', { ...claim, claimedAt: 400 }, 10_000)).toBe(false);
    expect(await r.get('a')).toEqual({ state: 'registered', claimedAt: 200, apiKeyId: 'key-a' });
    expect((await stored('a'))?.registeredAt).toEqual({ N: '300' });
  });

  test("release: drops only this container's own pending claim", async () => {
    const r = records();
    const claim = { tier: 'free', caller: 'c', claimedAt: 100 };
    await r.claim('mine', claim, 0);
    await r.release('mine', 99); // another claim time: kept
    expect(await r.get('mine')).toEqual({ state: 'pending', claimedAt: 100 });
    await r.release('mine', 100);
    expect(await r.get('mine')).toBeUndefined();
    await r.claim('done', claim, 0);
    await r.complete('done', 'k', 101);
    await r.release('done', 100); // registered: kept
    expect(await r.get('done')).toEqual({ state: 'registered', claimedAt: 100, apiKeyId: 'k' });
  });

  test('errors other than a failed condition reach the caller: claim and release on a missing table', async () => {
    const r = dynamoDbCallerKeyRecords(tables.server().client(), 'no-such-table');
    await expect(r.claim('x', { tier: 't', caller: 'c', claimedAt: 1 }, 0)).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });
    await expect(r.release('x', 1)).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
  });
});

describe('apiGatewayKeys', () => {
  const keys = () => apiGatewayKeys(new APIGatewayClient({ region: 'eu-west-1' }));
  const stage = { apiId: 'abcdef1234', stage: 'dev' };

  test('findPlan: the plan tagged with the tier on this API stage; undefined when the last page has none', async () => {
    apigw.on(GetUsagePlansCommand).resolves({
      items: [
        { id: 'other-tier', apiStages: [stage], tags: { [CALLER_KEY_PLAN_TAG]: 'gold' } },
        {
          id: 'other-stage',
          apiStages: [{ ...stage, stage: 'prod' }],
          tags: { [CALLER_KEY_PLAN_TAG]: 'free' },
        },
        { id: 'no-stages', tags: { [CALLER_KEY_PLAN_TAG]: 'free' } },
        { id: 'the-plan', apiStages: [stage], tags: { [CALLER_KEY_PLAN_TAG]: 'free' } },
      ],
    });
    expect(await keys().findPlan(stage.apiId, stage.stage, 'free')).toBe('the-plan');
    expect(await keys().findPlan(stage.apiId, stage.stage, 'silver')).toBeUndefined();
    expect(apigw.commandCalls(GetUsagePlansCommand).map((c) => c.args[0].input)).toEqual([
      { limit: 500, position: undefined },
      { limit: 500, position: undefined },
    ]);
  });

  test('findPlan: reads at most ten pages, then gives up', async () => {
    let page = 0;
    apigw.on(GetUsagePlansCommand).callsFake(() => ({ items: [], position: `p${++page}` }));
    expect(await keys().findPlan(stage.apiId, stage.stage, 'free')).toBeUndefined();
    expect(apigw.commandCalls(GetUsagePlansCommand)).toHaveLength(10);
    expect(apigw.commandCalls(GetUsagePlansCommand)[9].args[0].input.position).toBe('p9');
  });

  test('createKey: an enabled key with the name and value; an answer without an id is an error', async () => {
    apigw.on(CreateApiKeyCommand).resolvesOnce({ id: 'k1' }).resolvesOnce({});
    expect(await keys().createKey('keygate-caller-1', 'v'.repeat(40))).toBe('k1');
    expect(apigw.commandCalls(CreateApiKeyCommand)[0].args[0].input).toEqual({
      name: 'keygate-caller-1',
      value: 'v'.repeat(40),
      enabled: true,
    });
    await expect(keys().createKey('keygate-caller-2', 'w'.repeat(40))).rejects.toThrow(
      'CreateApiKey answered without an id',
    );
  });

  test('createKey: after a conflict the key of exactly that name is found; without it the conflict stands', async () => {
    apigw.on(CreateApiKeyCommand).rejects(conflict());
    apigw
      .on(GetApiKeysCommand)
      .resolvesOnce({
        items: [
          { id: 'prefix-match', name: 'keygate-caller-10' },
          { id: 'exact', name: 'keygate-caller-1' },
        ],
      })
      .resolvesOnce({ items: [{ id: 'prefix-match', name: 'keygate-caller-10' }] })
      .resolvesOnce({});
    expect(await keys().createKey('keygate-caller-1', 'v')).toBe('exact');
    await expect(keys().createKey('keygate-caller-1', 'v')).rejects.toMatchObject({
      name: 'ConflictException',
    });
    await expect(keys().createKey('keygate-caller-1', 'v')).rejects.toMatchObject({
      name: 'ConflictException',
    });
    expect(apigw.commandCalls(GetApiKeysCommand)).toHaveLength(3);
  });

  test('createKey: other errors are not followed by a lookup', async () => {
    apigw.on(CreateApiKeyCommand).rejects(new NotFoundException({ message: 'gone', $metadata: {} }));
    await expect(keys().createKey('n', 'v')).rejects.toMatchObject({ name: 'NotFoundException' });
    expect(apigw.commandCalls(GetApiKeysCommand)).toHaveLength(0);
  });

  test('addToPlan: an API key in the plan; a key already there is fine, other errors are not', async () => {
    apigw
      .on(CreateUsagePlanKeyCommand)
      .resolvesOnce({})
      .rejectsOnce(conflict())
      .rejectsOnce(new NotFoundException({ message: 'no plan', $metadata: {} }));
    await keys().addToPlan('plan1', 'k1');
    expect(apigw.commandCalls(CreateUsagePlanKeyCommand)[0].args[0].input).toEqual({
      usagePlanId: 'plan1',
      keyId: 'k1',
      keyType: 'API_KEY',
    });
    await expect(keys().addToPlan('plan1', 'k1')).resolves.toBeUndefined();
    await expect(keys().addToPlan('plan1', 'k1')).rejects.toMatchObject({ name: 'NotFoundException' });
  });
});

describe('awsCallerKeyRegistrar', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  test("the authorizer's registrar: the SDK's default DynamoDB client (Region and endpoint from the environment) and API Gateway", async () => {
    // GIVEN the environment Lambda gives the function, with DynamoDB's endpoint pointed at the test server
    vi.stubEnv('AWS_REGION', 'eu-west-1');
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIDLOCALTEST');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'local-test-secret');
    vi.stubEnv('AWS_SESSION_TOKEN', '');
    vi.stubEnv('AWS_ENDPOINT_URL_DYNAMODB', tables.server().endpoint);
    apigw.on(GetUsagePlansCommand).resolves({
      items: [
        {
          id: 'plan1',
          apiStages: [{ apiId: 'abcdef1234', stage: 'dev' }],
          tags: { [CALLER_KEY_PLAN_TAG]: 'free' },
        },
      ],
    });
    apigw.on(CreateApiKeyCommand).resolves({ id: 'key-1' });
    apigw.on(CreateUsagePlanKeyCommand).resolves({});
    // WHEN a caller is registered
    const registrar = awsCallerKeyRegistrar(tables.table());
    const request = {
      recordId: 'record-1',
      keyName: 'keygate-caller-record-1',
      value: 'x'.repeat(40),
      tier: 'free',
      apiId: 'abcdef1234',
      stage: 'dev',
      caller: 'https://sso.example.com/realms/ml u1',
    };
    // THEN the key is in the plan and the record in the table says so
    expect(await registrar.ensure(request)).toEqual({ ok: true });
    expect(apigw.commandCalls(CreateUsagePlanKeyCommand).map((c) => c.args[0].input)).toEqual([
      { usagePlanId: 'plan1', keyId: 'key-1', keyType: 'API_KEY' },
    ]);
    expect(await stored('record-1')).toMatchObject({
      state: { S: 'registered' },
      apiKeyId: { S: 'key-1' },
      tier: { S: 'free' },
      caller: { S: 'https://sso.example.com/realms/ml u1' },
    });
  });
});
