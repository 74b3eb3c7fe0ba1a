import { describe, expect, it } from 'vitest';
import type { UsageTiersConfig } from '../../common/usage-tiers';
import {
  tierForPrincipal,
  tierForRoleArn,
  tokenAssignments,
  validateUsageKeysBlock,
  validateUsageTiers,
} from '../../common/usage-tiers';

const ROLE = 'arn:aws:iam::111122223333:role/batch-runner';

const VALID: UsageTiersConfig = {
  tiers: {
    free: { rateLimit: 2, burstLimit: 4, quota: { limit: 1000, period: 'DAY' } },
    team: {
      rateLimit: 20,
      burstLimit: 40,
      quota: { limit: 100000, period: 'MONTH' },
      routeThrottles: { 'POST /models/{modelId}/stream': { rateLimit: 5, burstLimit: 10 } },
    },
    batch: { rateLimit: 100, burstLimit: 200, quota: { limit: 50000, period: 'WEEK' } },
  },
  defaultTier: 'free',
  assignments: [
    { realmRole: 'ml-team', tier: 'team' },
    { clientRole: 'keygate-api:batch', tier: 'batch' },
    { group: '/ml/batch', tier: 'batch' },
    { roleArn: ROLE, tier: 'batch' },
  ],
};

describe('validateUsageTiers', () => {
  it('accepts a valid config', () => {
    expect(validateUsageTiers(VALID, 'usageTiers', { routeKeys: ['POST /models/{modelId}/stream'] })).toEqual(
      [],
    );
  });

  it.each<[string, unknown, string]>([
    [
      'a quota without a period',
      { ...VALID, tiers: { ...VALID.tiers, free: { rateLimit: 1, burstLimit: 1, quota: { limit: 10 } } } },
      'usageTiers.tiers.free.quota.period must be one of DAY, WEEK, MONTH: a usage plan counts a quota per day, week or month',
    ],
    [
      'a rate above the account throttle',
      { ...VALID, tiers: { ...VALID.tiers, free: { rateLimit: 10001, burstLimit: 1 } } },
      "usageTiers.tiers.free.rateLimit 10001 is above the account's API Gateway throttle of 10000 requests per second (common/aws-limits.ts); lower it",
    ],
    [
      'a burst above the account burst',
      { ...VALID, tiers: { ...VALID.tiers, free: { rateLimit: 1, burstLimit: 5001 } } },
      "usageTiers.tiers.free.burstLimit 5001 is above the account's API Gateway burst of 5000 (common/aws-limits.ts); lower it",
    ],
    [
      'a default tier that is not declared',
      { ...VALID, defaultTier: 'gold' },
      'usageTiers.defaultTier must name one of the tiers (free, team, batch): callers no assignment matches get it',
    ],
    [
      'an assignment with two matchers',
      { ...VALID, assignments: [{ tier: 'team', realmRole: 'a', group: '/b' }] },
      'usageTiers.assignments[0] must have exactly one of realmRole, clientRole, group or roleArn',
    ],
    [
      'an assignment to an unknown tier',
      { ...VALID, assignments: [{ tier: 'gold', realmRole: 'a' }] },
      'usageTiers.assignments[0].tier must name one of the tiers (free, team, batch)',
    ],
    [
      'a role ARN that is not one',
      { ...VALID, assignments: [{ tier: 'team', roleArn: 'arn:aws:iam::1:user/x' }] },
      'usageTiers.assignments[0].roleArn must be an IAM role ARN',
    ],
    [
      'a quota of zero',
      {
        ...VALID,
        tiers: { ...VALID.tiers, free: { rateLimit: 1, burstLimit: 1, quota: { limit: 0, period: 'DAY' } } },
      },
      'usageTiers.tiers.free.quota.limit must be an integer from 1 to 2147483647 (requests per period)',
    ],
    [
      'an unknown field',
      { ...VALID, tiers: { ...VALID.tiers, free: { rateLimit: 1, burstLimit: 1, perDay: 5 } } },
      'usageTiers.tiers.free.perDay is not a field (rateLimit, burstLimit, quota, routeThrottles, perCaller)',
    ],
    [
      'a perCaller that is not a boolean',
      { ...VALID, tiers: { ...VALID.tiers, free: { rateLimit: 1, burstLimit: 1, perCaller: 'yes' } } },
      "usageTiers.tiers.free.perCaller must be true (an API key per caller) or false (one key shared by the tier's callers)",
    ],
  ])('refuses %s, naming the field', (_, input, message) => {
    expect(validateUsageTiers(input, 'usageTiers')).toEqual([message]);
  });

  it('refuses a route throttle on a route the API does not have', () => {
    expect(validateUsageTiers(VALID, 'usageTiers', { routeKeys: ['GET /me'] })).toEqual([
      "usageTiers.tiers.team.routeThrottles['POST /models/{modelId}/stream']: no route of the API has this key (GET /me)",
    ]);
  });

  it('refuses a tier faster than the stage throttle', () => {
    expect(
      validateUsageTiers(VALID, 'usageTiers', { stageThrottle: { rateLimit: 50, burstLimit: 100 } }),
    ).toEqual([
      "usageTiers.tiers.batch.rateLimit 100 is above the stage throttle's 50: raise throttling.rateLimit or lower the tier",
      "usageTiers.tiers.batch.burstLimit 200 is above the stage throttle's 100: raise throttling.burstLimit or lower the tier",
    ]);
  });
});

describe('tier choice', () => {
  const none = { realmRoles: [], clientRoles: [], groups: [] };
  it.each<[string, { realmRoles: string[]; clientRoles: string[]; groups: string[] }, string]>([
    ['no match: the default tier', none, 'free'],
    ['a realm role', { ...none, realmRoles: ['ml-team'] }, 'team'],
    ['a client role', { ...none, clientRoles: ['keygate-api:batch'] }, 'batch'],
    ['a group', { ...none, groups: ['/ml/batch'] }, 'batch'],
    ['first match wins', { ...none, realmRoles: ['ml-team'], groups: ['/ml/batch'] }, 'team'],
    ['a wildcard is literal', { ...none, realmRoles: ['*'], groups: ['/ml/*'] }, 'free'],
  ])('%s', (_, p, tier) => {
    expect(tierForPrincipal(p, VALID.assignments!, VALID.defaultTier)).toBe(tier);
  });

  it('IAM callers by role ARN, else the default', () => {
    expect(tierForRoleArn(ROLE, VALID.assignments!, 'free')).toBe('batch');
    expect(tierForRoleArn('arn:aws:iam::111122223333:role/other', VALID.assignments!, 'free')).toBe('free');
    expect(tierForRoleArn(undefined, VALID.assignments!, 'free')).toBe('free');
  });

  it('the authorizer gets the token matchers only', () => {
    expect(tokenAssignments(VALID)).toHaveLength(3);
    expect(tokenAssignments(VALID).some((a) => 'roleArn' in a)).toBe(false);
  });
});

describe('validateUsageKeysBlock', () => {
  const block = {
    defaultTier: 'free',
    assignments: tokenAssignments(VALID),
    keySecrets: { free: 'arn:a', team: 'arn:b', batch: 'arn:c' },
  };
  it('accepts the block the construct writes', () => {
    expect(validateUsageKeysBlock(block)).toEqual([]);
  });
  it('refuses a role ARN matcher and a default without a key', () => {
    expect(
      validateUsageKeysBlock({
        ...block,
        defaultTier: 'gold',
        assignments: [{ tier: 'batch', roleArn: ROLE }],
      }),
    ).toEqual([
      { path: 'usage.defaultTier', message: "usage.defaultTier must name one of keySecrets' tiers" },
      {
        path: 'usage.assignments[0].roleArn',
        message: 'usage.assignments[0]: roleArn matches IAM callers, which the authorizer never sees',
      },
    ]);
  });
  it('accepts per-caller tiers that have key secrets', () => {
    expect(validateUsageKeysBlock({ ...block, callerKeys: { table: 'keys', tiers: ['free'] } })).toEqual([]);
  });
  it.each([
    [
      { table: 'keys', tiers: ['free', 'gold'] },
      'usage.callerKeys.tiers[1]',
      'usage.callerKeys.tiers: gold is not a tier with a key secret (free, team, batch)',
    ],
    [
      { table: '', tiers: ['free'] },
      'usage.callerKeys.table',
      'usage.callerKeys.table must be a DynamoDB table name',
    ],
    [
      { table: 'keys', tiers: [] },
      'usage.callerKeys.tiers',
      'usage.callerKeys.tiers must list at least one per-caller tier',
    ],
    [
      { table: 'keys', tiers: ['free'], plans: {} },
      'usage.callerKeys.plans',
      'usage.callerKeys.plans is not a field (table, tiers)',
    ],
  ])('refuses callerKeys %j, naming %s', (callerKeys, path, message) => {
    expect(validateUsageKeysBlock({ ...block, callerKeys })).toEqual([{ path, message }]);
  });
});
