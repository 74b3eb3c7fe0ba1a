/**
 * The usage plans of an assembly enforced per REST API (local/assembly/serve-usage-plans.ts), on a stack
 * model read from a hand-written template: where the key is read (key source), which methods count, per-key
 * buckets shared across a plan's APIs, per-method throttles, disabled keys, key values from the secrets.
 */
import { describe, expect, test } from 'vitest';
import type { AssemblyApi, AssemblyStack } from '../../local/assembly/assembly-model';
import { readUsagePlans } from '../../local/assembly/read-usage-plans';
import { localUsagePlans } from '../../local/assembly/serve-usage-plans';
import type { LocalSecret } from '../../local/assembly/secrets-stand-in';
import type { Resources } from '../../local/assembly/template';
import type { UsageCaller } from '../../local/gateway/usage-limiter';

const KEY_A = 'A'.repeat(40);
const KEY_OFF = 'O'.repeat(40);

/** Plan (rate 1/s, burst 2) over the AUTHORIZER API and the HEADER API; key A from a secret, key Off disabled. */
const RESOURCES: Resources = {
  Keycloak: { Type: 'AWS::ApiGateway::RestApi', Properties: { ApiKeySourceType: 'AUTHORIZER' } },
  Iam: { Type: 'AWS::ApiGateway::RestApi', Properties: { ApiKeySourceType: 'HEADER' } },
  SecretA: { Type: 'AWS::SecretsManager::Secret', Properties: {} },
  Plan: {
    Type: 'AWS::ApiGateway::UsagePlan',
    Properties: {
      Throttle: { RateLimit: 1, BurstLimit: 2 },
      Quota: { Limit: 3, Period: 'DAY' },
      ApiStages: [
        { ApiId: { Ref: 'Keycloak' }, Throttle: { '/slow/GET': { RateLimit: 1, BurstLimit: 1 } } },
        { ApiId: { Ref: 'Iam' } },
      ],
    },
  },
  KeyA: {
    Type: 'AWS::ApiGateway::ApiKey',
    Properties: {
      Enabled: true,
      Value: { 'Fn::Join': ['', ['{{resolve:secretsmanager:', { Ref: 'SecretA' }, ':SecretString:::}}']] },
    },
  },
  KeyOff: { Type: 'AWS::ApiGateway::ApiKey', Properties: { Enabled: false, Value: KEY_OFF } },
  PlanKeyA: {
    Type: 'AWS::ApiGateway::UsagePlanKey',
    Properties: { KeyId: { Ref: 'KeyA' }, UsagePlanId: { Ref: 'Plan' } },
  },
  PlanKeyOff: {
    Type: 'AWS::ApiGateway::UsagePlanKey',
    Properties: { KeyId: { Ref: 'KeyOff' }, UsagePlanId: { Ref: 'Plan' } },
  },
  MachinePolicy: {
    Type: 'AWS::IAM::Policy',
    Properties: {
      Roles: ['machine'],
      PolicyDocument: {
        Statement: { Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: { Ref: 'SecretA' } },
      },
    },
  },
};

const SECRETS: LocalSecret[] = [{ logicalId: 'SecretA', secretId: 'local-SecretA', value: KEY_A }];

function restApi(
  id: string,
  source: 'HEADER' | 'AUTHORIZER',
  keyed: string[],
  open: string[] = [],
): AssemblyApi {
  const route = (path: string, key: boolean) => ({
    method: 'GET' as const,
    path,
    auth: 'keycloak' as const,
    streaming: false,
    ...(key ? { apiKeyRequired: true } : {}),
  });
  return {
    id,
    kind: 'rest',
    name: id,
    authorizers: [],
    apiKeySource: source,
    routes: [...keyed.map((p) => route(p, true)), ...open.map((p) => route(p, false))],
  };
}

const KEYCLOAK_API = restApi('Keycloak', 'AUTHORIZER', ['/fast', '/slow'], ['/open']);
const IAM_API = restApi('Iam', 'HEADER', ['/machine']);

function served(now: () => number = () => 0) {
  const stack: AssemblyStack = {
    name: 'shop',
    region: 'eu-west-1',
    apis: [KEYCLOAK_API, IAM_API],
    functions: {},
    grants: [],
    usage: readUsagePlans(RESOURCES),
  };
  return localUsagePlans(stack, SECRETS, now);
}

const byAuthorizer = (usageKey?: string, apiKey?: string): UsageCaller => ({ kind: 'key', usageKey, apiKey });
const signed = (apiKey?: string): UsageCaller => ({
  kind: 'iam',
  callerArn: 'arn:aws:sts::000000000000:assumed-role/machine/s',
  apiKey,
});
const FORBIDDEN = { status: 403, message: 'Forbidden', reason: 'usage_key_invalid' };
const THROTTLED = { status: 429, message: 'Too Many Requests', reason: 'usage_throttled' };

describe('localUsagePlans', () => {
  test("the plan's key is the secret's value of the run, readable by the role the template lets read it", () => {
    const usage = served();
    expect(usage.served.plans.map((p) => ({ id: p.id, apis: p.apis, keys: p.keys }))).toEqual([
      { id: 'Plan', apis: ['Keycloak', 'Iam'], keys: [KEY_A] },
    ]);
    expect(usage.served.roleKeys).toEqual({ machine: [KEY_A] });
    expect(usage.served.keyForRole('machine')).toBe(KEY_A);
    expect(usage.served.keyForRole('arn:aws:iam::000000000000:role/machine')).toBe(KEY_A);
    expect(usage.served.keyForRole('arn:aws:sts::000000000000:assumed-role/machine/session')).toBe(KEY_A);
    expect(usage.served.keyForRole('nobody')).toBeUndefined();
  });

  test('key source AUTHORIZER: the authorizer-named key counts, an X-API-Key header does not', () => {
    const limiter = served().limiterFor(KEYCLOAK_API)!;
    expect(limiter.admit(byAuthorizer(undefined, KEY_A), 'GET /fast')).toEqual(FORBIDDEN);
    expect(limiter.admit(byAuthorizer(KEY_A), 'GET /fast')).toBeUndefined();
  });

  test('key source HEADER: the X-API-Key header counts, for IAM and authorizer routes alike', () => {
    const limiter = served().limiterFor(IAM_API)!;
    expect(limiter.admit(signed(), 'GET /machine')).toEqual(FORBIDDEN);
    expect(limiter.admit(signed(KEY_A), 'GET /machine')).toBeUndefined();
    expect(limiter.admit(byAuthorizer(KEY_A), 'GET /machine')).toEqual(FORBIDDEN);
    expect(limiter.admit(byAuthorizer(undefined, KEY_A), 'GET /machine')).toBeUndefined();
  });

  test('a disabled key, or a key of no plan, is a 403; a method without ApiKeyRequired is not counted', () => {
    const limiter = served().limiterFor(KEYCLOAK_API)!;
    expect(limiter.admit(byAuthorizer(KEY_OFF), 'GET /fast')).toEqual(FORBIDDEN);
    expect(limiter.admit(byAuthorizer('N'.repeat(40)), 'GET /fast')).toEqual(FORBIDDEN);
    expect(Array.from({ length: 5 }, () => limiter.admit(byAuthorizer(), 'GET /open'))).toEqual(
      Array.from({ length: 5 }, () => undefined),
    );
  });

  test("one bucket per key across the plan's APIs: the burst of 2 is shared, the third request is throttled", () => {
    const usage = served();
    const keycloak = usage.limiterFor(KEYCLOAK_API)!;
    const iam = usage.limiterFor(IAM_API)!;
    expect([
      keycloak.admit(byAuthorizer(KEY_A), 'GET /fast'),
      iam.admit(signed(KEY_A), 'GET /machine'),
      keycloak.admit(byAuthorizer(KEY_A), 'GET /fast'),
    ]).toEqual([undefined, undefined, THROTTLED]);
  });

  test('a per-method throttle applies on its method of its API only; the quota caps the period', () => {
    let now = Date.UTC(2026, 0, 7, 12);
    const usage = served(() => now);
    const keycloak = usage.limiterFor(KEYCLOAK_API)!;
    expect([
      keycloak.admit(byAuthorizer(KEY_A), 'GET /slow'),
      keycloak.admit(byAuthorizer(KEY_A), 'GET /slow'),
    ]).toEqual([undefined, THROTTLED]);
    now += 10_000;
    expect(keycloak.admit(byAuthorizer(KEY_A), 'GET /fast')).toBeUndefined();
    now += 10_000;
    expect(keycloak.admit(byAuthorizer(KEY_A), 'GET /fast')).toBeUndefined();
    now += 10_000;
    expect(keycloak.admit(byAuthorizer(KEY_A), 'GET /fast')).toEqual({
      status: 429,
      message: 'Limit Exceeded',
      reason: 'usage_quota_exceeded',
    });
  });

  test('an HTTP API, or a REST API without a key-requiring method, gets no limiter', () => {
    const usage = served();
    expect(usage.limiterFor({ ...KEYCLOAK_API, kind: 'http' })).toBeUndefined();
    expect(usage.limiterFor(restApi('Keycloak', 'AUTHORIZER', [], ['/open']))).toBeUndefined();
  });
});
