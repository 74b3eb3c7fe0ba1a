/**
 * Per-caller tiers in the local gateway: each caller of such a tier has an allowance of its own, counted
 * under the key the authorizer derives and registers, as API Gateway counts per API key. The served stage
 * runs the app's own authorizer, whose registrar records each key in the stack's DynamoDB table (here a
 * dynalite server of the test) and adds it to the tier's plan through the API Gateway stand-in.
 */
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { DEFAULT_APP_CONFIG } from '../../common/app-config';
import type { StageConfig } from '../../common/app-config';
import { AUTHORIZER_CONFIG_ENV } from '../../common/authorizer-config';
import { CALLER_KEY_TABLE_PARTITION_KEY } from '../../common/usage-caller-keys';
import type { UsageKeysConfig, UsageTiersConfig } from '../../common/usage-tiers';
import { call, userTokens } from '../../local/callers';
import type { CallerStack } from '../../local/callers';
import type { GatewayRecord } from '../../local/gateway/local-gateway';
import { serveStage } from '../../local/serve-stage';
import type { ServedStage } from '../../local/serve-stage';
import { LOCAL_MACHINE_ROLE } from '../../local/stage-assembly';
import { startDynamoDbServer } from '../support/dynamodb-server';
import type { DynamoDbServer } from '../support/dynamodb-server';
import { callerStack } from '../support/served-callers';

// Refills one request per 100 s: the third call is throttled however slow the machine.
const TIERS: UsageTiersConfig = {
  tiers: {
    free: { rateLimit: 0.01, burstLimit: 2, perCaller: true },
    pool: { rateLimit: 0.01, burstLimit: 2 },
  },
  defaultTier: 'free',
  assignments: [{ roleArn: 'arn:aws:iam::000000000000:role/pooled', tier: 'pool' }],
};

describe('served stage with a per-caller tier (REST API)', () => {
  let dynamo: DynamoDbServer;
  let served: ServedStage;
  let stack: CallerStack;
  const records: GatewayRecord[] = [];
  const POOLED = 'arn:aws:iam::000000000000:role/pooled';
  // IAM callers have tiers too: the IAM routes are on the REST API only, the pooled role among the
  // stage's machine principals (the local machine role joins them, in the default, per-caller tier).
  const stage: StageConfig = {
    ...DEFAULT_APP_CONFIG.stages.dev,
    apis: { http: false, rest: true },
    machinePrincipals: [{ roleArn: POOLED, routes: ['GET /machine/models'] }],
    usageTiers: TIERS,
  };

  beforeAll(async () => {
    dynamo = await startDynamoDbServer();
    served = await serveStage({
      stage,
      buildLambdas: false,
      onRequest: (_api, r) => records.push(r),
      // The registrar's table in a DynamoDB server of the test; the functions' SDK (which Lambda's Node.js
      // runtime provides) from the installed one.
      environment: { AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint, NODE_PATH: path.resolve('node_modules') },
    });
    const table = Object.values(served.stack.functions).flatMap((fn) => {
      const raw = fn.environment[AUTHORIZER_CONFIG_ENV];
      const usage = raw ? (JSON.parse(raw) as { usage?: UsageKeysConfig }).usage : undefined;
      return usage?.callerKeys ? [usage.callerKeys.table] : [];
    });
    expect(table).toHaveLength(1);
    await dynamo.createTable({
      TableName: table[0],
      KeySchema: [{ AttributeName: CALLER_KEY_TABLE_PARTITION_KEY, KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: CALLER_KEY_TABLE_PARTITION_KEY, AttributeType: 'S' }],
    });
    stack = callerStack(served, 'GET /models');
  });
  afterAll(async () => {
    await served?.close();
    await dynamo?.close();
  });

  test("the per-caller tier's plan holds only the machine role's own key until callers' are registered", () => {
    const free = served.usage.plans.find((p) => p.callerKeyTier === 'free')!;
    expect(free.keys).toEqual([served.usage.keyForRole(LOCAL_MACHINE_ROLE)]);
    // The tier's secret derives the callers' keys; it is not itself a key of the plan.
    expect(served.usage.tierKeys.free).toMatch(/^[A-Za-z0-9]{40}$/);
    expect(free.keys).not.toContain(served.usage.tierKeys.free);
  });

  test("each role's key: its own in a per-caller tier, the tier's in a shared one", () => {
    const own = served.usage.keyForRole(LOCAL_MACHINE_ROLE)!;
    expect(own).toMatch(/^[A-Za-z0-9]{40}$/);
    expect(Object.values(served.usage.tierKeys)).not.toContain(own);
    expect(served.usage.keyForRole(POOLED)).toBe(served.usage.tierKeys.pool);
  });

  test('alice and bob, both in the per-caller tier, each get the whole burst: 200 200 429 each', async () => {
    const alice = (await userTokens(stack, 'alice')).access_token;
    const bob = (await userTokens(stack, 'bob')).access_token;
    records.length = 0;
    const statuses: number[] = [];
    for (const token of [alice, alice, alice, bob, bob, bob])
      statuses.push((await call(stack, 'GET', '/models', { token })).status);
    expect(statuses).toEqual([200, 200, 429, 200, 200, 429]);
    expect(records.map((r) => r.reason)).toEqual([
      'policy_allow',
      'policy_allow',
      'usage_throttled',
      'policy_allow',
      'policy_allow',
      'usage_throttled',
    ]);
    // Each caller's own key (64 hex digits) joined the tier's plan as the authorizer registered it.
    const keys = served.usage.plans.find((p) => p.callerKeyTier === 'free')!.keys;
    expect(keys.filter((k) => /^[0-9a-f]{64}$/.test(k))).toHaveLength(2);
  });
});
