/**
 * The local API Gateway management stand-in (local/assembly/apigateway-stand-in.ts), called by the
 * authorizer's own AWS glue (lambda/authorizer/usage-key-registrar-aws.ts) through the real SDK client:
 * the per-caller tier's plan is found by tag and API stage, a key is created once (a repeat is a conflict
 * resolved by name), added to the plan once, and from then on the local gateway's limiter counts it.
 */
import { APIGatewayClient } from '@aws-sdk/client-api-gateway';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { AssemblyApi, AssemblyStack } from '../../local/assembly/assembly-model';
import { localApiStage, startApiGatewayStandIn } from '../../local/assembly/apigateway-stand-in';
import type { ApiGatewayStandIn } from '../../local/assembly/apigateway-stand-in';
import { readUsagePlans } from '../../local/assembly/read-usage-plans';
import { localUsagePlans } from '../../local/assembly/serve-usage-plans';
import type { LocalUsagePlans } from '../../local/assembly/serve-usage-plans';
import { apiGatewayKeys } from '../../lambda/authorizer/usage-key-registrar-aws';

const API: AssemblyApi = {
  id: 'ShopRestApi1234',
  kind: 'rest',
  name: 'shop',
  authorizers: [],
  apiKeySource: 'AUTHORIZER',
  routes: [{ method: 'GET', path: '/orders', auth: 'keycloak', streaming: false, apiKeyRequired: true }],
};

const STACK: AssemblyStack = {
  name: 'shop',
  region: 'eu-west-1',
  apis: [API],
  functions: {},
  grants: [],
  usage: readUsagePlans({
    ShopRestApi1234: { Type: 'AWS::ApiGateway::RestApi', Properties: { ApiKeySourceType: 'AUTHORIZER' } },
    BatchPlan: {
      Type: 'AWS::ApiGateway::UsagePlan',
      Properties: {
        UsagePlanName: 'shop-batch',
        Throttle: { RateLimit: 0.01, BurstLimit: 1 },
        ApiStages: [{ ApiId: { Ref: 'ShopRestApi1234' } }],
        Tags: [{ Key: 'keygate:usage-tier', Value: 'batch' }],
      },
    },
    PooledPlan: {
      Type: 'AWS::ApiGateway::UsagePlan',
      Properties: {
        Throttle: { RateLimit: 1, BurstLimit: 1 },
        ApiStages: [{ ApiId: { Ref: 'ShopRestApi1234' } }],
      },
    },
  }),
};

const VALUE = 'c'.repeat(64);
let usage: LocalUsagePlans;
let standIn: ApiGatewayStandIn;
let client: APIGatewayClient;

beforeAll(async () => {
  usage = localUsagePlans(STACK, []);
  standIn = (await startApiGatewayStandIn(STACK.apis, usage))!;
  client = new APIGatewayClient({
    endpoint: standIn.endpoint,
    region: 'eu-west-1',
    credentials: { accessKeyId: 'AKIDLOCALTEST', secretAccessKey: 'local-test-secret' },
    maxAttempts: 1,
  });
});
afterAll(async () => {
  client?.destroy();
  await standIn?.close();
});

describe('API Gateway stand-in', () => {
  test('is started only for a stack with a per-caller plan', async () => {
    const pooledOnly = localUsagePlans(
      { ...STACK, usage: { ...STACK.usage!, plans: STACK.usage!.plans.filter((p) => !p.callerKeyTier) } },
      [],
    );
    expect(await startApiGatewayStandIn(STACK.apis, pooledOnly)).toBeUndefined();
    expect(standIn.environment.AWS_ENDPOINT_URL_API_GATEWAY).toBe(standIn.endpoint);
  });

  test("finds the tier's plan by its tag on the API stage the local gateway names", async () => {
    const keys = apiGatewayKeys(client);
    const { apiId, stage } = localApiStage(API);
    expect(await keys.findPlan(apiId, stage!, 'batch')).toBe('BatchPlan');
    expect(await keys.findPlan(apiId, stage!, 'gold')).toBeUndefined();
    expect(await keys.findPlan('otherapi00', stage!, 'batch')).toBeUndefined();
  });

  test('a registered key is counted by the plan; registering it again is harmless', async () => {
    const limiter = usage.limiterFor(API)!;
    const caller = { kind: 'key', usageKey: VALUE } as const;
    expect(limiter.admit(caller, 'GET /orders')?.status).toBe(403);
    const keys = apiGatewayKeys(client);
    const id = await keys.createKey('keygate-caller-batch.1', VALUE);
    await keys.addToPlan('BatchPlan', id);
    // A second registration (an interrupted one, repeated): the conflict resolves to the same key.
    expect(await keys.createKey('keygate-caller-batch.1', VALUE)).toBe(id);
    await keys.addToPlan('BatchPlan', id);
    expect(usage.served.plans.find((p) => p.id === 'BatchPlan')?.keys).toEqual([VALUE]);
    expect([limiter.admit(caller, 'GET /orders'), limiter.admit(caller, 'GET /orders')?.status]).toEqual([
      undefined,
      429,
    ]);
  });

  test('an unknown plan or key is a NotFoundException', async () => {
    const keys = apiGatewayKeys(client);
    await expect(keys.addToPlan('NoSuchPlan', 'nokey')).rejects.toMatchObject({ name: 'NotFoundException' });
  });
});
