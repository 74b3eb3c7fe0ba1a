/**
 * The usage-tier checks' remaining refusals, each with its exact message (usage-tiers.test.ts has the
 * common ones): shapes that are not objects or lists, throttles that are not numbers, route throttles, the
 * authorizer's `usage` block, and the stage-level entry point.
 */
import { describe, expect, it } from 'vitest';
import {
  perCallerTiers,
  validateStageUsageTiers,
  validateUsageKeysBlock,
  validateUsageTiers,
} from '../../common/usage-tiers';

const FREE = { rateLimit: 2, burstLimit: 4 };
const tiersWith = (free: unknown, more: Record<string, unknown> = {}) => ({
  tiers: { free, ...more },
  defaultTier: 'free',
});

describe('validateUsageTiers refusals', () => {
  it.each<[string, unknown, string[]]>([
    ['not an object', [], ['usageTiers must be an object { tiers, defaultTier, assignments }']],
    [
      'no tiers',
      { tiers: {}, defaultTier: 'free' },
      [
        'usageTiers.tiers must map at least one tier name to { rateLimit, burstLimit, quota? }',
        'usageTiers.defaultTier must name one of the tiers (none declared): callers no assignment matches get it',
      ],
    ],
    [
      'a tier name with capitals',
      { tiers: { Free: FREE, free: FREE }, defaultTier: 'free' },
      [
        'usageTiers.tiers.Free: a tier name must be a lower-case letter then up to 31 lower-case letters, digits or -',
      ],
    ],
    [
      'a tier that is not an object',
      tiersWith(5),
      [
        'usageTiers.tiers.free must be an object { rateLimit, burstLimit, quota?, routeThrottles?, perCaller? }',
      ],
    ],
    [
      'throttles that are not numbers',
      tiersWith({ rateLimit: '2', burstLimit: 1.5 }),
      [
        'usageTiers.tiers.free.rateLimit must be a number of requests per second above 0',
        'usageTiers.tiers.free.burstLimit must be an integer from 0',
      ],
    ],
    [
      'a rate of zero and an infinite one',
      tiersWith({ rateLimit: 0, burstLimit: 0 }, { team: { rateLimit: Infinity, burstLimit: 0 } }),
      [
        'usageTiers.tiers.free.rateLimit must be a number of requests per second above 0',
        'usageTiers.tiers.team.rateLimit must be a number of requests per second above 0',
      ],
    ],
    [
      'a quota that is not an object, and one with an unknown field',
      tiersWith(
        { ...FREE, quota: 100 },
        { team: { ...FREE, quota: { limit: 1, period: 'DAY', offset: 1 } } },
      ),
      [
        'usageTiers.tiers.free.quota must be an object { limit, period }',
        'usageTiers.tiers.team.quota.offset is not a field (limit, period)',
      ],
    ],
    [
      'route throttles that are not a map',
      tiersWith({ ...FREE, routeThrottles: ['GET /me'] }),
      ['usageTiers.tiers.free.routeThrottles must map route keys to { rateLimit, burstLimit }'],
    ],
    [
      'a route throttle under a key that is no route key, and one that is not an object',
      tiersWith({ ...FREE, routeThrottles: { '/me': { rateLimit: 1, burstLimit: 1 }, 'GET /me': 3 } }),
      [
        "usageTiers.tiers.free.routeThrottles['/me']: the key must be a route key 'METHOD /path'",
        "usageTiers.tiers.free.routeThrottles['GET /me'] must be an object { rateLimit, burstLimit }",
      ],
    ],
    [
      'a route throttle with an unknown field and no burst',
      tiersWith({ ...FREE, routeThrottles: { 'GET /me': { rateLimit: 1, quota: 5 } } }),
      [
        "usageTiers.tiers.free.routeThrottles['GET /me'].quota is not a field (rateLimit, burstLimit)",
        "usageTiers.tiers.free.routeThrottles['GET /me'].burstLimit must be an integer from 0",
      ],
    ],
    [
      'assignments that are not a list',
      { ...tiersWith(FREE), assignments: { realmRole: 'a' } },
      ['usageTiers.assignments must be a list'],
    ],
    [
      'assignments that are not objects, or match nothing',
      { ...tiersWith(FREE), assignments: ['ml-team', { tier: 'free' }] },
      [
        'usageTiers.assignments[0] must be an object { tier, realmRole | clientRole | group | roleArn }',
        'usageTiers.assignments[1] must have exactly one of realmRole, clientRole, group or roleArn',
      ],
    ],
    [
      'matchers that are empty, not strings, or a client role without its client',
      {
        ...tiersWith(FREE),
        assignments: [
          { tier: 'free', realmRole: '' },
          { tier: 'free', group: 7 },
          { tier: 'free', clientRole: 'batch' },
          { tier: 'free', nickname: 'x', group: '/g' },
        ],
      },
      [
        'usageTiers.assignments[0].realmRole must be a non-empty string',
        'usageTiers.assignments[1].group must be a non-empty string',
        'usageTiers.assignments[2].clientRole must be written <clientId>:<role>',
        'usageTiers.assignments[3].nickname is not a field (tier, realmRole, clientRole, group, roleArn)',
      ],
    ],
  ])('%s', (_name, input, messages) => {
    expect(validateUsageTiers(input, 'usageTiers')).toEqual(messages);
  });

  it('a burst above the stage throttle names both limits', () => {
    expect(
      validateUsageTiers(tiersWith({ rateLimit: 1, burstLimit: 50 }), 'usageTiers', {
        stageThrottle: { rateLimit: 10, burstLimit: 20 },
      }),
    ).toEqual([
      "usageTiers.tiers.free.burstLimit 50 is above the stage throttle's 20: raise throttling.burstLimit or lower the tier",
    ]);
  });
});

describe('validateUsageKeysBlock refusals', () => {
  it.each<[string, unknown, [path: string, message: string][]]>([
    [
      'not an object',
      'free',
      [['usage', 'usage must be an object { defaultTier, assignments, keySecrets }']],
    ],
    [
      'no key secrets and no assignments list',
      { defaultTier: 'free', keySecrets: {}, extra: true },
      [
        ['usage.extra', 'usage.extra is not a field (defaultTier, assignments, keySecrets, callerKeys)'],
        [
          'usage.keySecrets',
          'usage.keySecrets must map at least one tier name to the secret holding its API key',
        ],
        ['usage.defaultTier', "usage.defaultTier must name one of keySecrets' tiers"],
        ['usage.assignments', 'usage.assignments must be a list'],
      ],
    ],
    [
      'a key secret under a bad tier name, and an empty secret id',
      { defaultTier: 'free', keySecrets: { free: '', 'Gold!': 'arn:secret:gold' }, assignments: [] },
      [
        ['usage.keySecrets.free', 'usage.keySecrets.free must be a secret ARN or name'],
        ['usage.keySecrets.Gold!', 'usage.keySecrets.Gold!: not a tier name'],
      ],
    ],
  ])('%s', (_name, input, issues) => {
    expect(validateUsageKeysBlock(input)).toEqual(issues.map(([path, message]) => ({ path, message })));
  });
});

describe('validateStageUsageTiers', () => {
  const usageTiers = {
    tiers: { free: { ...FREE, routeThrottles: { 'GET /me': { rateLimit: 1, burstLimit: 1 } } } },
    defaultTier: 'free',
  };

  it('no usageTiers: nothing to check', () => {
    expect(validateStageUsageTiers({ apis: { rest: false } }, 'stages.dev')).toEqual([]);
  });

  it('refuses tiers on a stage without the REST API', () => {
    expect(validateStageUsageTiers({ usageTiers, apis: { http: true, rest: false } }, 'stages.dev')).toEqual([
      'stages.dev.usageTiers needs the REST API (apis.rest): HTTP APIs have no usage plans; use throttling alone',
    ]);
  });

  it("route throttles name the stage's keycloak routes; the tiers stay within the stage throttle", () => {
    const routes = [
      { method: 'GET', path: '/me', auth: 'keycloak' },
      { method: 'GET', path: '/machine/models', auth: 'iam' },
      'not a route',
    ];
    expect(validateStageUsageTiers({ usageTiers, routes }, 'stages.dev')).toEqual([]);
    expect(
      validateStageUsageTiers(
        {
          usageTiers: {
            ...usageTiers,
            tiers: { free: { ...FREE, routeThrottles: { 'GET /machine/models': FREE } } },
          },
          routes,
          throttling: { rateLimit: 1, burstLimit: 100 },
        },
        'stages.dev',
      ),
    ).toEqual([
      "stages.dev.usageTiers.tiers.free.rateLimit 2 is above the stage throttle's 1: raise throttling.rateLimit or lower the tier",
      "stages.dev.usageTiers.tiers.free.routeThrottles['GET /machine/models']: no route of the API has this key (GET /me)",
      "stages.dev.usageTiers.tiers.free.routeThrottles['GET /machine/models'].rateLimit 2 is above the stage throttle's 1: raise throttling.rateLimit or lower the tier",
    ]);
  });
});

describe('perCallerTiers', () => {
  it('lists the tiers with perCaller true, in declaration order', () => {
    expect(
      perCallerTiers({
        tiers: {
          a: { ...FREE, perCaller: true },
          b: { ...FREE, perCaller: false },
          c: FREE,
          d: { ...FREE, perCaller: true },
        },
        defaultTier: 'a',
      }),
    ).toEqual(['a', 'd']);
  });
});
