import { describe, expect, it, test } from 'vitest';
import type { StageConfig } from '../../common/app-config';
import { DEFAULT_APP_CONFIG } from '../../common/app-config';
import { selectStage, validateAppConfig, validateStageConfig } from '../../common/app-config-validate';

const dev = DEFAULT_APP_CONFIG.stages.dev;
const AT = 'keygate.stages.dev';

/** The default stage with some fields replaced (undefined removes a field). */
function stageWith(patch: Record<string, unknown>): Record<string, unknown> {
  const s: Record<string, unknown> = JSON.parse(JSON.stringify(dev));
  for (const [k, v] of Object.entries(patch)) {
    if (v === undefined) delete s[k];
    else s[k] = v;
  }
  return s;
}

describe('validateStageConfig', () => {
  test('accepts the embedded default', () => {
    expect(validateStageConfig(dev, AT)).toEqual([]);
  });

  it.each<[string, Record<string, unknown>, string]>([
    [
      'a bad account',
      { account: '1234' },
      `${AT}.account must be a 12-digit AWS account id (or be left out for an environment-agnostic stack)`,
    ],
    ['a missing region', { region: undefined }, `${AT}.region must be an AWS region such as eu-west-1`],
    ['an unknown field', { colour: 'blue' }, `${AT}.colour is not a known field`],
    [
      'a plain-http issuer',
      { keycloak: { ...dev.keycloak, issuer: 'http://kc.example.com/realms/x' } },
      `${AT}.keycloak.issuer must be the realm's https issuer URL without a trailing slash`,
    ],
    [
      'a missing API client',
      { keycloak: { ...dev.keycloak, apiClientId: undefined } },
      `${AT}.keycloak.apiClientId must be a Keycloak client id`,
    ],
    [
      'an unsupported algorithm',
      { keycloak: { ...dev.keycloak, algorithms: ['PS256'] } },
      `${AT}.keycloak.algorithms must be a non-empty list from RS256, RS384, RS512, ES256, ES384, ES512, EdDSA`,
    ],
    [
      'a bad route path',
      { routes: [{ method: 'GET', path: 'models', auth: 'keycloak' }] },
      `${AT}.routes[0].path: path 'models' must start with '/'`,
    ],
    [
      'a bad route method',
      { routes: [{ method: 'FETCH', path: '/x', auth: 'iam' }] },
      `${AT}.routes[0].method must be one of GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS, ANY`,
    ],
    [
      'a requirement on an iam route',
      { routes: [{ method: 'GET', path: '/x', auth: 'iam', requirement: { anyOf: { realmRoles: ['a'] } } }] },
      `${AT}.routes[0].requirement is only allowed on keycloak routes`,
    ],
    [
      'an unknown route field',
      { routes: [{ method: 'GET', path: '/x', auth: 'iam', role: 'a' }] },
      `${AT}.routes[0].role is not a known field`,
    ],
    ['no models', { models: [] }, `${AT}.models must list at least one model`],
    [
      'a duplicate model id',
      { models: [dev.models[0], dev.models[0]] },
      `${AT}.models[1].id 'sentiment' is used by another model`,
    ],
    [
      'a bedrock model without its id',
      { models: [{ id: 'claude', kind: 'bedrock' }] },
      `${AT}.models[0].bedrockModelId must be a foundation-model id such as anthropic.claude-3-haiku-20240307-v1:0`,
    ],
    [
      'an unknown model kind',
      { models: [{ id: 'x', kind: 'openai' }] },
      `${AT}.models[0].kind must be one of demo, bedrock, sagemaker`,
    ],
    [
      'a cache TTL over an hour',
      { authorizer: { cacheTtlSeconds: 7200 } },
      `${AT}.authorizer.cacheTtlSeconds must be an integer from 0 to 3600 (1 hour)`,
    ],
    [
      'an unknown response mode',
      { authorizer: { responseMode: 'bool' } },
      `${AT}.authorizer.responseMode must be 'iam' or 'simple'`,
    ],
    [
      'simple answers cached for a route that binds a path parameter',
      { authorizer: { responseMode: 'simple' } },
      `${AT}.authorizer.cacheTtlSeconds must be 0 with responseMode 'simple': routes[2] binds a path parameter, and a cached simple answer would hold for every value of it`,
    ],
    [
      'an ANY route on the HTTP API with CORS',
      { routes: [{ method: 'ANY', path: '/files', auth: 'keycloak' }] },
      `${AT}.routes[0].method: ANY would catch CORS preflight requests on the HTTP API and send them to the authorizer; list the methods explicitly`,
    ],
    [
      'a wildcard CORS origin',
      { cors: { allowOrigins: ['*'] } },
      `${AT}.cors.allowOrigins[0] must be an origin such as https://app.example.com (no path, no '*')`,
    ],
    [
      'a zero burst',
      { throttling: { rateLimit: 10, burstLimit: 0 } },
      `${AT}.throttling.burstLimit must be an integer from 1 to 5000`,
    ],
    ['a bad alarm email', { alarmEmail: 'ops' }, `${AT}.alarmEmail must be an email address`],
    [
      'an unsupported retention',
      { logRetentionDays: 10 },
      `${AT}.logRetentionDays must be one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653`,
    ],
    [
      'no API at all',
      { apis: { http: false, rest: false } },
      `${AT}.apis: at least one of http and rest must be true`,
    ],
    [
      'a machine principal that is not a role',
      {
        machinePrincipals: [
          { roleArn: 'arn:aws:iam::111122223333:user/bob', routes: ['GET /machine/models'] },
        ],
      },
      `${AT}.machinePrincipals[0].roleArn must be an IAM role ARN (arn:aws:iam::<account>:role/<name>)`,
    ],
    [
      'a grant on a keycloak route',
      { machinePrincipals: [{ roleArn: 'arn:aws:iam::111122223333:role/batch', routes: ['GET /models'] }] },
      `${AT}.machinePrincipals[0].routes[0]: 'GET /models' is not an iam route of this stage (grants are for iam routes only)`,
    ],
    [
      'a cross-account caller without the REST API',
      {
        apis: { http: true, rest: false },
        machinePrincipals: [
          {
            roleArn: 'arn:aws:iam::444455556666:role/batch',
            routes: ['GET /machine/models'],
            crossAccount: true,
          },
        ],
      },
      `${AT}.machinePrincipals[0].crossAccount needs the REST API: only REST APIs have resource policies`,
    ],
    [
      'a Cognito route without federation',
      { apis: { http: false }, routes: [{ method: 'GET', path: '/profile', auth: 'cognito-user-pool' }] },
      `${AT}.routes[0].auth: cognito-user-pool routes need ${AT}.cognitoFederation`,
    ],
    [
      'a streaming flag on a route the model backend does not stream',
      { routes: [{ method: 'POST', path: '/models/{modelId}/invoke', auth: 'keycloak', stream: true }] },
      `${AT}.routes[0].stream: only the keycloak route POST /models/{modelId}/stream and the iam route POST /machine/models/{modelId}/stream stream (the model backend's streaming function)`,
    ],
    [
      'the streaming route without its streaming flag',
      { routes: [{ method: 'POST', path: '/models/{modelId}/stream', auth: 'keycloak' }] },
      `${AT}.routes[0].stream must be true: the model backend answers POST /models/{modelId}/stream by streaming`,
    ],
    [
      'a streaming route with the HTTP API alone',
      {
        apis: { http: true, rest: false },
        routes: [{ method: 'POST', path: '/models/{modelId}/stream', auth: 'keycloak', stream: true }],
      },
      `${AT}.routes[0].stream: HTTP APIs cannot stream responses and ${AT}.apis.rest is false; deploy the REST API or remove the route`,
    ],
    [
      'a streaming flag that is not a boolean',
      { routes: [{ method: 'POST', path: '/models/{modelId}/stream', auth: 'keycloak', stream: 'yes' }] },
      `${AT}.routes[0].stream must be a boolean`,
    ],
    [
      'a Cognito route on the HTTP API',
      {
        cognitoFederation: {
          domainPrefix: 'keygate-dev',
          keycloakClientId: 'cognito',
          clientSecretName: 'keygate/kc',
          callbackUrls: ['https://app.example.com/cb'],
        },
        routes: [{ method: 'GET', path: '/profile', auth: 'cognito-user-pool' }],
      },
      `${AT}.routes[0].auth: cognito-user-pool routes exist on REST APIs only; set ${AT}.apis.http to false or use auth keycloak`,
    ],
    [
      'a federation domain prefix Cognito reserves',
      {
        cognitoFederation: {
          domainPrefix: 'my-cognito',
          keycloakClientId: 'cognito',
          clientSecretName: 'keygate/kc',
          callbackUrls: ['https://app.example.com/cb'],
        },
      },
      `${AT}.cognitoFederation.domainPrefix must be lower-case letters, digits and -, without aws, amazon or cognito`,
    ],
    [
      'a client secret value where its name belongs',
      {
        cognitoFederation: {
          domainPrefix: 'kg',
          keycloakClientId: 'cognito',
          clientSecretName: 'not a name!',
          callbackUrls: ['https://app.example.com/cb'],
        },
      },
      `${AT}.cognitoFederation.clientSecretName must be the name or ARN of a Secrets Manager secret`,
    ],
  ])('rejects %s, naming the field', (_, patch, message) => {
    const errors = validateStageConfig(stageWith(patch), AT);
    expect(errors.some((e) => e.startsWith(message))).toBe(true);
  });

  test('accepts simple answers without caching', () => {
    expect(
      validateStageConfig(stageWith({ authorizer: { responseMode: 'simple', cacheTtlSeconds: 0 } }), AT),
    ).toEqual([]);
  });

  test('rejects a route table a cached policy cannot express', () => {
    const errors = validateStageConfig(
      stageWith({
        routes: [
          { method: 'GET', path: '/models/{id}', auth: 'keycloak' },
          {
            method: 'GET',
            path: '/models/{modelId}/details',
            auth: 'keycloak',
            requirement: { anyOf: { realmRoles: ['model:{modelId}'] } },
          },
        ],
      }),
      AT,
    );
    expect(errors).toEqual([
      `${AT}.routes: GET /models/{id} and GET /models/{modelId}/details overlap: a policy resource allowing GET /models/{id} ` +
        "would also match requests of GET /models/{modelId}/details, whose requirement binds {modelId} (IAM's * also " +
        "matches '/', and IAM has no single-segment wildcard), so a cached policy could allow GET /models/{modelId}/details " +
        'for values it does not grant; give the routes distinct literal segments, or set the authorizer result cache TTL to 0',
    ]);
  });

  test('accepts the same table with the result cache off', () => {
    const routes = [
      { method: 'GET', path: '/models/{id}', auth: 'keycloak' },
      {
        method: 'GET',
        path: '/models/{modelId}/details',
        auth: 'keycloak',
        requirement: { anyOf: { realmRoles: ['model:{modelId}'] } },
      },
    ];
    expect(validateStageConfig(stageWith({ routes, authorizer: { cacheTtlSeconds: 0 } }), AT)).toEqual([]);
  });
});

describe('selectStage', () => {
  const two = { stages: { dev, prod: { ...dev, account: '111122223333' } as StageConfig } };

  test('picks the stage named with -c stage', () => {
    expect(selectStage(two, 'prod')).toMatchObject({ ok: true, name: 'prod' });
  });

  test('picks the only stage when none is named', () => {
    expect(selectStage(DEFAULT_APP_CONFIG, undefined)).toMatchObject({ ok: true, name: 'dev' });
  });

  test('rejects an unknown stage', () => {
    expect(selectStage(two, 'qa')).toEqual({
      ok: false,
      errors: ["stage 'qa' is not in keygate.stages (dev, prod)"],
      issues: [{ path: 'stage', message: "stage 'qa' is not in keygate.stages (dev, prod)" }],
    });
  });

  test('asks for a stage when several exist and none is the default', () => {
    expect(selectStage(two, undefined)).toEqual({
      ok: false,
      errors: ['keygate has several stages and no defaultStage: choose one with -c stage=<name> (dev, prod)'],
      issues: [
        {
          path: 'stage',
          message:
            'keygate has several stages and no defaultStage: choose one with -c stage=<name> (dev, prod)',
        },
      ],
    });
  });

  test('rejects a default stage that does not exist', () => {
    expect(validateAppConfig({ ...two, defaultStage: 'qa' })).toEqual({
      ok: false,
      errors: ['keygate.defaultStage must name one of the stages (dev, prod)'],
      issues: [
        {
          path: 'keygate.defaultStage',
          message: 'keygate.defaultStage must name one of the stages (dev, prod)',
        },
      ],
    });
  });

  test('reports errors of every stage', () => {
    const result = selectStage({ stages: { dev, bad: { ...dev, region: 'mars' } } }, 'dev');
    expect(result).toEqual({
      ok: false,
      errors: ['keygate.stages.bad.region must be an AWS region such as eu-west-1'],
      issues: [
        {
          path: 'keygate.stages.bad.region',
          message: 'keygate.stages.bad.region must be an AWS region such as eu-west-1',
        },
      ],
    });
  });
});

describe('validateStageConfig: issuer scopes', () => {
  const federation = {
    domainPrefix: 'keygate-dev',
    keycloakClientId: 'cognito',
    clientSecretName: 'keygate/kc',
    callbackUrls: ['https://app.example.com/cb'],
  };
  const realm = dev.keycloak.issuer;
  const admin = (requirement: Record<string, unknown>) => [
    { method: 'GET', path: '/admin', auth: 'keycloak', requirement },
  ];

  it('with cognitoFederation (two issuers), refuses an unscoped keycloak route, naming it and the fix', () => {
    expect(
      validateStageConfig(
        stageWith({ cognitoFederation: federation, routes: admin({ anyOf: { realmRoles: ['admin'] } }) }),
        AT,
      ),
    ).toEqual([
      `${AT}.routes[0] (GET /admin): with ${AT}.cognitoFederation two issuers are trusted, so the requirement must name those whose tokens may meet it: set requirement.issuers to ['${realm}'], ['cognitoFederation'] or both`,
    ]);
  });

  it('accepts the realm, the federated pool or both as the scope', () => {
    for (const issuers of [[realm], ['cognitoFederation'], [realm, 'cognitoFederation']]) {
      expect(
        validateStageConfig(stageWith({ cognitoFederation: federation, routes: admin({ issuers }) }), AT),
      ).toEqual([]);
    }
  });

  it('refuses a scope naming another issuer, and the pool without cognitoFederation', () => {
    expect(validateStageConfig(stageWith({ routes: admin({ issuers: ['cognitoFederation'] }) }), AT)).toEqual(
      [`${AT}.routes[0].requirement.issuers: 'cognitoFederation' is not '${realm}'`],
    );
  });

  it('refuses a client role of a client other than the API client', () => {
    expect(
      validateStageConfig(
        stageWith({ routes: admin({ anyOf: { clientRoles: ['partner-api:admin'] } }) }),
        AT,
      ),
    ).toEqual([
      `${AT}.routes[0].requirement.anyOf.clientRoles: 'partner-api:admin' names client 'partner-api'; only roles of ${AT}.keycloak.apiClientId ('keygate-api') count`,
    ]);
  });
});
