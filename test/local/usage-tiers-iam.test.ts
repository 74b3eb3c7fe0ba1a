/**
 * IAM callers under usage tiers in the local REST gateway, shaped as deployed: the IAM routes need the
 * caller's X-API-Key beside the SigV4 signature (API Gateway's key source HEADER); without one, or with
 * one in no plan, the answer is API Gateway's 403 `Forbidden`; the key's plan throttles.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { DEFAULT_APP_CONFIG } from '../../common/app-config';
import type { StageConfig } from '../../common/app-config';
import { validateStageConfig } from '../../common/app-config-validate';
import { call } from '../../local/callers';
import type { GatewayRecord } from '../../local/gateway/local-gateway';
import { startLocalStack } from '../../local/gateway/local-stack';
import type { LocalStack } from '../../local/gateway/local-stack';
import { roleArnOf } from '../../local/gateway/usage-limiter';

const MACHINE_ROLE = 'arn:aws:iam::000000000000:role/keygate-local-machine';

// Refills one request per 100 s: the third call is throttled however slow the machine.
const STAGE: StageConfig = {
  ...DEFAULT_APP_CONFIG.stages.dev,
  apis: { http: false, rest: true },
  machinePrincipals: [{ roleArn: MACHINE_ROLE, routes: ['GET /machine/models'] }],
  usageTiers: {
    tiers: {
      free: { rateLimit: 5, burstLimit: 10 },
      batch: { rateLimit: 0.01, burstLimit: 2, perCaller: true },
    },
    defaultTier: 'free',
    assignments: [{ roleArn: MACHINE_ROLE, tier: 'batch' }],
  },
};

describe('local REST gateway with roleArn usage tiers', () => {
  let stack: LocalStack;
  const records: GatewayRecord[] = [];

  beforeAll(async () => {
    stack = await startLocalStack({ stage: STAGE, apiType: 'rest', onRequest: (r) => records.push(r) });
  });
  afterAll(async () => {
    await stack?.close();
  });

  test('the stage is one the app deploys', () => {
    expect(validateStageConfig(STAGE, 'keygate.stages.dev')).toEqual([]);
    expect(roleArnOf(stack.iam.machine.callerArn)).toBe(MACHINE_ROLE);
  });

  test('a signed request without X-API-Key, or with a key in no plan, is answered 403 Forbidden', async () => {
    records.length = 0;
    const bare = await call(stack, 'GET', '/machine/models', { iam: stack.iam.machine });
    expect(bare.status).toBe(403);
    expect(await bare.json()).toEqual({ message: 'Forbidden' });
    const wrong = await call(stack, 'GET', '/machine/models', {
      iam: stack.iam.machine,
      headers: { 'x-api-key': 'A'.repeat(40) },
    });
    expect(wrong.status).toBe(403);
    expect(records.map((r) => r.reason)).toEqual(['usage_key_invalid', 'usage_key_invalid']);
  });

  test("the role's key admits its burst, then the plan throttles: 200 200 429", async () => {
    const key = stack.usageTiers!.iamKeyFor(MACHINE_ROLE)!;
    records.length = 0;
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++)
      statuses.push(
        (
          await call(stack, 'GET', '/machine/models', {
            iam: stack.iam.machine,
            headers: { 'x-api-key': key },
          })
        ).status,
      );
    expect(statuses).toEqual([200, 200, 429]);
    expect(records.map((r) => r.reason)).toEqual(['iam_allow', 'iam_allow', 'usage_throttled']);
  });

  test('a key does not authorize: a principal granted no route is refused by IAM before the plan counts', async () => {
    const key = stack.usageTiers!.iamKeyFor(MACHINE_ROLE)!;
    records.length = 0;
    const res = await call(stack, 'GET', '/machine/models', {
      iam: stack.iam.outsider,
      headers: { 'x-api-key': key },
    });
    expect(res.status).toBe(403);
    expect(records.map((r) => r.reason)).toEqual(['iam_not_authorized']);
  });
});
