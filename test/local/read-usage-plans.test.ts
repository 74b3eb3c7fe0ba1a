/**
 * The usage-plan reader (local/assembly/read-usage-plans.ts) on templates written by hand: the shapes the
 * constructs synthesize, the other forms CloudFormation accepts, and hand-edited plans it cannot enforce,
 * each named with the field that is wrong, its APIs' key-requiring methods answering 501.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import type { AssemblyApi } from '../../local/assembly/assembly-model';
import { readUsagePlans, unreadablePlanRoutes } from '../../local/assembly/read-usage-plans';
import type { Resources } from '../../local/assembly/template';

const SECRET = 'TierKeyValue';

/** A REST API with one usage plan, one key from a secret, and a role allowed to read that secret. */
function template(plan: Record<string, unknown> = {}, key: Record<string, unknown> = {}): Resources {
  return {
    Api: { Type: 'AWS::ApiGateway::RestApi', Properties: { Name: 'shop', ApiKeySourceType: 'AUTHORIZER' } },
    Other: { Type: 'AWS::ApiGateway::RestApi', Properties: { Name: 'other' } },
    Stage: { Type: 'AWS::ApiGateway::Stage', Properties: { RestApiId: { Ref: 'Api' }, StageName: 'dev' } },
    [SECRET]: { Type: 'AWS::SecretsManager::Secret', Properties: { GenerateSecretString: {} } },
    Plan: {
      Type: 'AWS::ApiGateway::UsagePlan',
      Properties: {
        UsagePlanName: 'shop-free',
        Throttle: { RateLimit: 5, BurstLimit: 10 },
        Quota: { Limit: 100, Period: 'DAY' },
        ApiStages: [
          {
            ApiId: { Ref: 'Api' },
            Stage: { Ref: 'Stage' },
            Throttle: { '/models/{modelId}/stream/POST': { RateLimit: 1, BurstLimit: 1 } },
          },
        ],
        ...plan,
      },
    },
    Key: {
      Type: 'AWS::ApiGateway::ApiKey',
      Properties: {
        Enabled: true,
        Value: { 'Fn::Join': ['', ['{{resolve:secretsmanager:', { Ref: SECRET }, ':SecretString:::}}']] },
        ...key,
      },
    },
    PlanKey: {
      Type: 'AWS::ApiGateway::UsagePlanKey',
      Properties: { KeyId: { Ref: 'Key' }, KeyType: 'API_KEY', UsagePlanId: { Ref: 'Plan' } },
    },
    CallerPolicy: {
      Type: 'AWS::IAM::Policy',
      Properties: {
        Roles: ['imported-caller', { Ref: 'OwnRole' }],
        PolicyDocument: {
          Statement: [
            {
              Effect: 'Allow',
              Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
              Resource: { Ref: SECRET },
            },
          ],
        },
      },
    },
  };
}

function api(id: string, routes: { path: string; key?: boolean }[]): AssemblyApi {
  return {
    id,
    kind: 'rest',
    name: id,
    authorizers: [],
    routes: routes.map((r) => ({
      method: 'GET',
      path: r.path,
      auth: 'keycloak',
      streaming: false,
      ...(r.key ? { apiKeyRequired: true } : {}),
    })),
  };
}

describe('readUsagePlans', () => {
  test('reads the plan the constructs write: throttle, quota, its API stage and per-method throttle, its key', () => {
    const usage = readUsagePlans(template());
    expect(usage.plans).toEqual([
      {
        id: 'Plan',
        name: 'shop-free',
        throttle: { rateLimit: 5, burstLimit: 10 },
        quota: { limit: 100, period: 'DAY' },
        stages: [
          {
            apiId: 'Api',
            routeThrottles: { 'POST /models/{modelId}/stream': { rateLimit: 1, burstLimit: 1 } },
          },
        ],
        keyIds: ['Key'],
      },
    ]);
    expect(usage.keys).toEqual({
      Key: { id: 'Key', enabled: true, value: { kind: 'secret', secretId: SECRET } },
    });
    // Who may read the key's secret: an imported role by name, a role of the stack by logical id.
    expect(usage.roleKeys).toEqual({ 'imported-caller': ['Key'], OwnRole: ['Key'] });
  });

  test.each<[string, Record<string, unknown>, unknown]>([
    [
      'a literal value',
      { Value: 'literal-key-value-0123456789' },
      { kind: 'literal', value: 'literal-key-value-0123456789' },
    ],
    [
      'a dynamic reference by name',
      { Value: '{{resolve:secretsmanager:shop/key:SecretString:::}}' },
      { kind: 'secret', secretId: 'shop/key' },
    ],
    ['no value (API Gateway generates one)', { Value: undefined }, { kind: 'generated' }],
  ])('an API key with %s', (_what, props, value) => {
    expect(readUsagePlans(template({}, props)).keys.Key.value).toEqual(value);
  });

  test('a disabled key is read as disabled; a plan without Throttle has the account limits', () => {
    const usage = readUsagePlans(template({ Throttle: undefined, Quota: undefined }, { Enabled: false }));
    expect(usage.keys.Key.enabled).toBe(false);
    expect(usage.plans[0].throttle).toEqual({ rateLimit: 10_000, burstLimit: 5_000 });
    expect(usage.plans[0].quota).toBeUndefined();
  });

  test("a per-caller tier's plan carries its tier from the keygate:usage-tier tag", () => {
    const usage = readUsagePlans(template({ Tags: [{ Key: 'keygate:usage-tier', Value: 'batch' }] }));
    expect(usage.plans[0].callerKeyTier).toBe('batch');
  });

  test('a literal ApiId (an API of another stack) is no stage of this one, and no problem', () => {
    const usage = readUsagePlans(template({ ApiStages: [{ ApiId: 'abc123', Stage: 'prod' }] }));
    expect(usage.plans[0].stages).toEqual([]);
    expect(usage.plans[0].problem).toBeUndefined();
  });

  test.each<[string, Record<string, unknown>, string]>([
    [
      'a rate that is no number',
      { Throttle: { RateLimit: 'fast', BurstLimit: 10 } },
      `usage plan Plan: Throttle.RateLimit must be a number of requests per second (got "fast")`,
    ],
    [
      'a fractional burst',
      { Throttle: { RateLimit: 1, BurstLimit: 2.5 } },
      'usage plan Plan: Throttle.BurstLimit must be an integer from 0 (got 2.5)',
    ],
    [
      'a throttle that is a list',
      { Throttle: [1, 2] },
      'usage plan Plan: Throttle must be an object { RateLimit, BurstLimit }',
    ],
    [
      'an unknown quota period',
      { Quota: { Limit: 10, Period: 'YEAR' } },
      'usage plan Plan: Quota.Period must be one of DAY, WEEK, MONTH (got "YEAR")',
    ],
    [
      'a quota without a limit',
      { Quota: { Period: 'DAY' } },
      'usage plan Plan: Quota.Limit must be an integer from 0 (got nothing)',
    ],
    [
      'a quota offset',
      { Quota: { Limit: 10, Period: 'WEEK', Offset: 2 } },
      'usage plan Plan: Quota.Offset 2 is not emulated locally (only 0, the default)',
    ],
    [
      'ApiStages that are no list',
      { ApiStages: { ApiId: { Ref: 'Api' } } },
      'usage plan Plan: ApiStages must be a list',
    ],
    [
      'a stage naming no REST API',
      { ApiStages: [{ ApiId: { Ref: SECRET } }] },
      `usage plan Plan: ApiStages[0].ApiId references ${SECRET}, which is no REST API of the template`,
    ],
    [
      'a method throttle key that is no path and method',
      {
        ApiStages: [{ ApiId: { Ref: 'Api' }, Throttle: { 'GET /models': { RateLimit: 1, BurstLimit: 1 } } }],
      },
      `usage plan Plan: ApiStages[0].Throttle['GET /models']: the key must be '/<resource path>/<HTTP method>'`,
    ],
  ])('a hand-edited plan with %s is not enforced, and says why', (_what, props, problem) => {
    expect(readUsagePlans(template(props)).plans[0].problem).toBe(problem);
  });
});

test('any hand-edited property of a plan, key, plan key or policy is read without a crash', () => {
  const resources = template();
  const edits = Object.entries(resources).flatMap(([id, r]) =>
    Object.keys(r.Properties ?? {}).map((prop) => ({ id, prop })),
  );
  expect(edits.length).toBeGreaterThan(10);
  fc.assert(
    fc.property(fc.constantFrom(...edits), fc.jsonValue(), ({ id, prop }, value) => {
      const edited = {
        ...resources,
        [id]: { ...resources[id], Properties: { ...resources[id].Properties, [prop]: value } },
      };
      const usage = readUsagePlans(edited);
      const plans = unreadablePlanRoutes([api('Api', [{ path: '/models', key: true }])], usage);
      // A plan that reads is enforced; one that does not names why on the methods it may cover.
      expect(plans[0].routes[0].unsupported).toBe(usage.plans.find((p) => p.problem)?.problem);
    }),
    { numRuns: 300 },
  );
});

describe('unreadablePlanRoutes', () => {
  const broken = readUsagePlans(template({ Throttle: { RateLimit: 'fast' } }));

  test("the key-requiring methods of the broken plan's API answer with its problem; the rest are unchanged", () => {
    const [shop, other] = unreadablePlanRoutes(
      [
        api('Api', [{ path: '/models', key: true }, { path: '/health' }]),
        api('Other', [{ path: '/x', key: true }]),
      ],
      broken,
    );
    expect(shop.routes.map((r) => r.unsupported)).toEqual([broken.plans[0].problem, undefined]);
    expect(broken.plans[0].problem).toMatch(/^usage plan Plan: Throttle\.RateLimit /);
    expect(other.routes[0].unsupported).toBeUndefined();
  });

  test('a broken plan whose stages cannot be read taints the key-requiring methods of every REST API', () => {
    const usage = readUsagePlans(template({ ApiStages: 'Api', Throttle: { RateLimit: -1 } }));
    const apis = unreadablePlanRoutes(
      [api('Api', [{ path: '/a', key: true }]), api('Other', [{ path: '/b', key: true }])],
      usage,
    );
    expect(apis.map((a) => a.routes[0].unsupported)).toEqual([
      usage.plans[0].problem,
      usage.plans[0].problem,
    ]);
  });

  test('readable plans change nothing', () => {
    const apis = [api('Api', [{ path: '/models', key: true }])];
    expect(unreadablePlanRoutes(apis, readUsagePlans(template()))).toEqual(apis);
  });
});
