/**
 * The local gateway's usage plans: unit tests of the limiter with a fake clock, then the stage's
 * synthesized app served from its assembly (the app's own authorizer answering with its tier key, the
 * usage plans read from the template) over HTTP, ending in API Gateway's 429.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { DEFAULT_APP_CONFIG } from '../../common/app-config';
import type { StageConfig } from '../../common/app-config';
import type { UsageTiersConfig } from '../../common/usage-tiers';
import { call, userTokens } from '../../local/callers';
import type { CallerStack } from '../../local/callers';
import type { GatewayRecord } from '../../local/gateway/local-gateway';
import { createUsageLimiter, roleArnOf, windowOf } from '../../local/gateway/usage-limiter';
import { serveStage } from '../../local/serve-stage';
import type { ServedStage } from '../../local/serve-stage';
import { callerStack } from '../support/served-callers';

const ROUTE = 'POST /models/{modelId}/invoke';
const STREAM = 'POST /models/{modelId}/stream';

const TIERS: UsageTiersConfig = {
  tiers: {
    free: { rateLimit: 1, burstLimit: 2, quota: { limit: 3, period: 'DAY' } },
    team: { rateLimit: 10, burstLimit: 5, routeThrottles: { [STREAM]: { rateLimit: 1, burstLimit: 1 } } },
  },
  defaultTier: 'free',
  assignments: [
    { realmRole: 'model:keywords:invoke', tier: 'team' },
    { roleArn: 'arn:aws:iam::000000000000:role/keygate-local-machine', tier: 'team' },
  ],
};

describe('usage limiter', () => {
  const keys = new Map([
    ['free-key', 'free'],
    ['team-key', 'team'],
  ]);

  test('a burst is admitted, the next request is throttled, and the bucket refills at the rate', () => {
    // GIVEN the free tier (rate 1/s, burst 2) and a clock that stands still
    let now = Date.UTC(2026, 0, 7, 12);
    const limiter = createUsageLimiter(
      { ...TIERS, tiers: { ...TIERS.tiers, free: { rateLimit: 1, burstLimit: 2 } } },
      keys,
      () => now,
    );
    const caller = { kind: 'key', usageKey: 'free-key' } as const;
    // WHEN three requests arrive at once, THEN two pass and the third gets API Gateway's throttle answer
    expect([
      limiter.admit(caller, ROUTE),
      limiter.admit(caller, ROUTE),
      limiter.admit(caller, ROUTE),
    ]).toEqual([
      undefined,
      undefined,
      { status: 429, message: 'Too Many Requests', reason: 'usage_throttled' },
    ]);
    // AND one second later one token is back
    now += 1000;
    expect(limiter.admit(caller, ROUTE)).toBeUndefined();
    expect(limiter.admit(caller, ROUTE)?.reason).toBe('usage_throttled');
  });

  test('the quota caps a period and resets with the next one', () => {
    let now = Date.UTC(2026, 0, 7, 12);
    const limiter = createUsageLimiter(TIERS, keys, () => now);
    const caller = { kind: 'key', usageKey: 'free-key' } as const;
    const answers = [];
    for (let i = 0; i < 4; i++) {
      answers.push(limiter.admit(caller, ROUTE));
      now += 10_000; // never throttled
    }
    expect(answers).toEqual([
      undefined,
      undefined,
      undefined,
      { status: 429, message: 'Limit Exceeded', reason: 'usage_quota_exceeded' },
    ]);
    now = Date.UTC(2026, 0, 8, 0, 0, 1);
    expect(limiter.admit(caller, ROUTE)).toBeUndefined();
  });

  test('a route throttle applies besides the tier throttle, on that route only', () => {
    const limiter = createUsageLimiter(TIERS, keys, () => 0);
    const caller = { kind: 'key', usageKey: 'team-key' } as const;
    expect(limiter.admit(caller, STREAM)).toBeUndefined();
    expect(limiter.admit(caller, STREAM)?.reason).toBe('usage_throttled');
    // The tier's bucket (5) had one token taken: four more on other routes.
    expect([1, 2, 3, 4].map(() => limiter.admit(caller, ROUTE))).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
    expect(limiter.admit(caller, ROUTE)?.reason).toBe('usage_throttled');
  });

  test('each tier key has its own allowance', () => {
    const limiter = createUsageLimiter(TIERS, keys, () => 0);
    limiter.admit({ kind: 'key', usageKey: 'free-key' }, ROUTE);
    limiter.admit({ kind: 'key', usageKey: 'free-key' }, ROUTE);
    expect(limiter.admit({ kind: 'key', usageKey: 'free-key' }, ROUTE)?.status).toBe(429);
    expect(limiter.admit({ kind: 'key', usageKey: 'team-key' }, ROUTE)).toBeUndefined();
  });

  test.each([undefined, 'not-a-plan-key'])(
    'an answer without a plan key (%s) is a 403 Forbidden',
    (usageKey) => {
      const limiter = createUsageLimiter(TIERS, keys, () => 0);
      expect(limiter.admit({ kind: 'key', usageKey }, ROUTE)).toEqual({
        status: 403,
        message: 'Forbidden',
        reason: 'usage_key_invalid',
      });
    },
  );

  test('IAM callers are counted by the X-API-Key they send; none or an unknown one is a 403 Forbidden', () => {
    expect(roleArnOf('arn:aws:sts::000000000000:assumed-role/keygate-local-machine/local')).toBe(
      'arn:aws:iam::000000000000:role/keygate-local-machine',
    );
    expect(roleArnOf('arn:aws:iam::000000000000:user/someone')).toBeUndefined();
    const limiter = createUsageLimiter(TIERS, keys, () => 0);
    const callerArn = 'arn:aws:sts::000000000000:assumed-role/keygate-local-machine/local';
    const sending = (apiKey?: string) => ({ kind: 'iam', callerArn, apiKey }) as const;
    // team: burst 5; free: burst 2 (the key decides, as API Gateway's plan lookup does)
    expect([1, 2, 3, 4, 5, 6].map(() => limiter.admit(sending('team-key'), ROUTE)?.status)).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      429,
    ]);
    expect([1, 2, 3].map(() => limiter.admit(sending('free-key'), ROUTE)?.status)).toEqual([
      undefined,
      undefined,
      429,
    ]);
    for (const apiKey of [undefined, 'not-a-plan-key'])
      expect(limiter.admit(sending(apiKey), ROUTE)).toEqual({
        status: 403,
        message: 'Forbidden',
        reason: 'usage_key_invalid',
      });
  });

  test('without roleArn assignments IAM callers are not counted (the stage throttle alone, as deployed)', () => {
    const limiter = createUsageLimiter({ ...TIERS, assignments: [TIERS.assignments![0]] }, keys, () => 0);
    const caller = { kind: 'iam', callerArn: 'arn:aws:iam::000000000000:user/someone' } as const;
    expect(Array.from({ length: 10 }, () => limiter.admit(caller, ROUTE))).toEqual(
      Array.from({ length: 10 }, () => undefined),
    );
  });

  test.each<['DAY' | 'WEEK' | 'MONTH', number, number]>([
    ['DAY', Date.UTC(2026, 0, 7, 23, 59), Date.UTC(2026, 0, 7)],
    ['WEEK', Date.UTC(2026, 0, 7, 12), Date.UTC(2026, 0, 4)], // Wednesday → Sunday the 4th
    ['WEEK', Date.UTC(2026, 0, 4, 0, 0, 1), Date.UTC(2026, 0, 4)],
    ['MONTH', Date.UTC(2026, 0, 31, 23), Date.UTC(2026, 0, 1)],
  ])('quota period %s holding %d starts at %d (UTC)', (period, at, start) => {
    expect(windowOf(period, at)).toBe(start);
  });
});

describe('served stage with usage tiers (REST API)', () => {
  let served: ServedStage;
  let stack: CallerStack;
  const records: GatewayRecord[] = [];
  // A free tier that refills one request per 100 s: the third call is throttled however slow the machine.
  // IAM callers have a tier too, so the IAM routes are on the REST API only, as the app requires.
  const stage: StageConfig = {
    ...DEFAULT_APP_CONFIG.stages.dev,
    apis: { http: false, rest: true },
    usageTiers: { ...TIERS, tiers: { ...TIERS.tiers, free: { rateLimit: 0.01, burstLimit: 2 } } },
  };

  beforeAll(async () => {
    served = await serveStage({ stage, buildLambdas: false, onRequest: (_api, r) => records.push(r) });
    stack = callerStack(served, 'GET /models');
  });
  afterAll(async () => {
    await served?.close();
  });

  test("the template's usage plans are enforced with the tiers' numbers and keys", () => {
    const byName = Object.fromEntries(served.usage.plans.map((p) => [p.name, p]));
    expect(Object.keys(byName).sort()).toEqual(['keygate-dev-rest-free', 'keygate-dev-rest-team']);
    expect(byName['keygate-dev-rest-free'].throttle).toEqual({ rateLimit: 0.01, burstLimit: 2 });
    expect(byName['keygate-dev-rest-free'].quota).toBeUndefined();
    expect(byName['keygate-dev-rest-team'].throttle).toEqual({ rateLimit: 10, burstLimit: 5 });
    // The plan's key is the secret the authorizer reads for the tier, as CloudFormation resolves it.
    expect(byName['keygate-dev-rest-free'].keys).toEqual([served.usage.tierKeys.free]);
    expect(byName['keygate-dev-rest-team'].keys).toEqual([served.usage.tierKeys.team]);
    expect(served.usage.tierKeys.free).toMatch(/^[A-Za-z0-9]{40}$/);
  });

  test('bob (default tier, burst 2) is answered 429 by the gateway on his third call', async () => {
    // GIVEN bob, whom no assignment matches
    const token = (await userTokens(stack, 'bob')).access_token;
    records.length = 0;
    // WHEN he calls three times at once
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await call(stack, 'GET', '/models', { token })).status);
    // THEN the first two reach the backend and the third gets API Gateway's own 429
    expect(statuses).toEqual([200, 200, 429]);
    expect(records.map((r) => r.reason)).toEqual(['policy_allow', 'policy_allow', 'usage_throttled']);
    const last = await call(stack, 'GET', '/models', { token });
    expect(last.status).toBe(429);
    // The app's own DEFAULT_4XX body (API Gateway's THROTTLED response type falls back to it).
    expect(await last.json()).toMatchObject({ error: 'client_error', message: 'Too Many Requests' });
  });

  test('alice (team tier by realm role) has her own, larger allowance', async () => {
    const token = (await userTokens(stack, 'alice')).access_token;
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await call(stack, 'GET', '/models', { token })).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200]);
  });

  test('a caller the authorizer refuses is refused before the usage plan counts', async () => {
    records.length = 0;
    const res = await call(stack, 'GET', '/models', { token: 'not-a-token' });
    expect(res.status).toBe(401);
    expect(records.map((r) => r.reason)).toEqual(['authorizer_unauthorized']);
  });
});
