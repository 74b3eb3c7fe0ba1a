/**
 * IAM callers under usage tiers, the stage's synthesized app served from its assembly: the IAM routes are
 * on the companion REST API (key source HEADER), so they need the caller's X-API-Key beside the SigV4
 * signature; without one, or with one in no plan, the answer is API Gateway's 403 `Forbidden`; the key's
 * plan throttles. The role's key is the secret the template lets it read.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { DEFAULT_APP_CONFIG } from '../../common/app-config';
import type { StageConfig } from '../../common/app-config';
import { validateStageConfig } from '../../common/app-config-validate';
import { call } from '../../local/callers';
import type { CallerStack } from '../../local/callers';
import type { GatewayRecord } from '../../local/gateway/local-gateway';
import { roleArnOf } from '../../local/gateway/usage-limiter';
import { serveStage } from '../../local/serve-stage';
import type { ServedStage } from '../../local/serve-stage';
import { callerStack } from '../support/served-callers';

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

describe('served REST APIs with roleArn usage tiers', () => {
  let served: ServedStage;
  let stack: CallerStack & { readonly iam: ServedStage['iam'] };
  const records: GatewayRecord[] = [];

  beforeAll(async () => {
    served = await serveStage({ stage: STAGE, buildLambdas: false, onRequest: (_api, r) => records.push(r) });
    stack = { ...callerStack(served, 'GET /machine/models'), iam: served.iam };
  });
  afterAll(async () => {
    await served?.close();
  });

  test('the stage is one the app deploys', () => {
    expect(validateStageConfig(STAGE, 'keygate.stages.dev')).toEqual([]);
    expect(roleArnOf(stack.iam.machine.callerArn)).toBe(MACHINE_ROLE);
  });

  test("the machine role reads one key, its own (a per-caller tier), in the batch tier's plan only", () => {
    const key = served.usage.keyForRole(MACHINE_ROLE)!;
    expect(key).toMatch(/^[A-Za-z0-9]{40}$/);
    expect(served.usage.keyForRole(stack.iam.machine.callerArn)).toBe(key);
    expect(served.usage.plans.filter((p) => p.keys.includes(key)).map((p) => p.name)).toEqual([
      'keygate-dev-rest-batch',
    ]);
    expect(Object.values(served.usage.tierKeys)).not.toContain(key);
  });

  test('a signed request without X-API-Key, or with a key in no plan, is answered 403 Forbidden', async () => {
    records.length = 0;
    const bare = await call(stack, 'GET', '/machine/models', { iam: stack.iam.machine });
    expect(bare.status).toBe(403);
    // The companion API's DEFAULT_4XX body (API Gateway's INVALID_API_KEY response type falls back to it).
    expect(await bare.json()).toMatchObject({ error: 'client_error', message: 'Forbidden' });
    const wrong = await call(stack, 'GET', '/machine/models', {
      iam: stack.iam.machine,
      headers: { 'x-api-key': 'A'.repeat(40) },
    });
    expect(wrong.status).toBe(403);
    expect(records.map((r) => r.reason)).toEqual(['usage_key_invalid', 'usage_key_invalid']);
  });

  test("the role's key admits its burst, then the plan throttles: 200 200 429", async () => {
    const key = served.usage.keyForRole(MACHINE_ROLE)!;
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
    const key = served.usage.keyForRole(MACHINE_ROLE)!;
    records.length = 0;
    const res = await call(stack, 'GET', '/machine/models', {
      iam: stack.iam.outsider,
      headers: { 'x-api-key': key },
    });
    expect(res.status).toBe(403);
    expect(records.map((r) => r.reason)).toEqual(['iam_not_authorized']);
  });
});
