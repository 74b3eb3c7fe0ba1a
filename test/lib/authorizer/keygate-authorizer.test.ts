import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { Duration } from 'aws-cdk-lib';
import type { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import { HttpMethod } from 'aws-cdk-lib/aws-apigatewayv2';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { beforeAll, describe, expect, it, test } from 'vitest';
import { Requirement, RouteAuth } from '../../../lib/api/route-auth';
import { SecuredHttpApi } from '../../../lib/api/secured-http-api';
import { SecuredRestApi } from '../../../lib/api/secured-rest-api';
import type {
  BrowserSessionOptions,
  KeygateAuthorizerProps,
} from '../../../lib/authorizer/keygate-authorizer';
import { AuthorizerResponseMode, KeygateAuthorizer } from '../../../lib/authorizer/keygate-authorizer';
import { SigningAlgorithm, TrustedIssuer } from '../../../lib/authorizer/trusted-issuer';
import { inlineBackend, newStack } from '../helpers';
import { expectValidationError } from '../validation';

const ISSUER = 'https://sso.example.com/realms/ml';
const realm = () =>
  TrustedIssuer.keycloakRealm({ issuerUrl: ISSUER, allowedClients: ['web'], allowedAudiences: ['api'] });

function configOf(template: Template): unknown {
  const fns = template.findResources('AWS::Lambda::Function', {
    Properties: { Environment: { Variables: { KEYGATE_CONFIG: Match.anyValue() } } },
  });
  const value = Object.values(fns)[0].Properties.Environment.Variables.KEYGATE_CONFIG as string;
  return JSON.parse(
    value.startsWith('gz:') ? gunzipSync(Buffer.from(value.slice(3), 'base64')).toString() : value,
  );
}

/** An authorizer behind an HTTP API with one Keycloak route; returns the synthesized template. */
function withHttpRoute(
  props: Partial<KeygateAuthorizerProps>,
  path = '/models/{modelId}/invoke',
  bind = true,
): Template {
  const { stack } = newStack();
  const authorizer = new KeygateAuthorizer(stack, 'Authorizer', { issuers: [realm()], ...props });
  new SecuredHttpApi(stack, 'Http', {
    authorizer,
    routes: [
      {
        method: HttpMethod.POST,
        path,
        backend: inlineBackend(stack),
        auth: RouteAuth.keycloak(
          bind ? Requirement.anyOf({ realmRoles: ['model:{modelId}:invoke'] }) : undefined,
        ),
      },
    ],
  });
  return Template.fromStack(stack);
}

describe('KeygateAuthorizer', () => {
  let template: Template;

  beforeAll(() => {
    // GIVEN one authorizer protecting an HTTP API and a REST API with the same routes
    const { stack } = newStack();
    const authorizer = new KeygateAuthorizer(stack, 'Authorizer', { issuers: [realm()] });
    const backend = inlineBackend(stack);
    const routes = [
      {
        method: HttpMethod.GET,
        path: '/models',
        backend,
        auth: RouteAuth.keycloak(Requirement.anyOf({ realmRoles: ['model-user'] })),
      },
      { method: HttpMethod.GET, path: '/machine/models', backend, auth: RouteAuth.iam() },
    ];
    new SecuredHttpApi(stack, 'Http', { authorizer, routes });
    new SecuredRestApi(stack, 'Rest', { authorizer, routes });
    // WHEN
    template = Template.fromStack(stack);
  });

  test('runs the bundled authorizer on Node.js 22 and arm64', () => {
    // THEN
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      Environment: { Variables: Match.objectLike({ NODE_OPTIONS: '--enable-source-maps' }) },
    });
  });

  test('passes issuers and the Keycloak routes of every API in KEYGATE_CONFIG', () => {
    const checked = {
      version: 1,
      issuers: [{ kind: 'keycloak', issuer: ISSUER, allowedClients: ['web'], allowedAudiences: ['api'] }],
      routes: [
        {
          method: 'GET',
          path: '/models',
          auth: 'keycloak',
          requirement: { anyOf: { realmRoles: ['model-user'] } },
        },
      ],
      tokenSource: { header: 'Authorization' },
      responseMode: 'iam',
      resultCacheTtlSeconds: 300,
    };
    // stamped with the digest of the content it was checked with at synth: every field as written
    const configDigest = createHash('sha256')
      .update(JSON.stringify(['keygate-config-checks/1', checked]))
      .digest('hex');
    expect(configOf(template)).toEqual({ ...checked, configDigest });
  });

  test('lets the function write to its own log group only', () => {
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [
          {
            Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
            Effect: 'Allow',
            Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('^AuthorizerLogGroup'), 'Arn'] },
          },
        ],
      },
    });
    template.hasResourceProperties('AWS::IAM::Role', {
      Description: 'Keygate authorizer: writes its own log group only',
      ManagedPolicyArns: Match.absent(),
    });
  });

  test('keeps its log for a month by default', () => {
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
  });

  test('gives HTTP APIs a payload 2.0 REQUEST authorizer keyed by the token header, cached 5 minutes', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'REQUEST',
      AuthorizerPayloadFormatVersion: '2.0',
      EnableSimpleResponses: false,
      IdentitySource: ['$request.header.Authorization'],
      AuthorizerResultTtlInSeconds: 300,
    });
  });

  test('gives REST APIs a REQUEST authorizer keyed by the token header, cached 5 minutes', () => {
    template.hasResourceProperties('AWS::ApiGateway::Authorizer', {
      Type: 'REQUEST',
      IdentitySource: 'method.request.header.Authorization',
      AuthorizerResultTtlInSeconds: 300,
    });
  });

  test('lets each API invoke it for its own authorizer only', () => {
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Principal: 'apigateway.amazonaws.com',
      SourceArn: {
        'Fn::Join': [
          '',
          Match.arrayWith(['/authorizers/', { Ref: Match.stringLikeRegexp('^HttpApiKeygateAuthorizer') }]),
        ],
      },
    });
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Principal: 'apigateway.amazonaws.com',
      SourceArn: {
        'Fn::Join': [
          '',
          Match.arrayWith(['/authorizers/', { Ref: Match.stringLikeRegexp('^AuthorizerRestAuthorizer') }]),
        ],
      },
    });
  });

  it.each([
    ['Denials', '{ ($.message = "authorizer decision") && ($.decision = "deny") }'],
    ['Unauthorized', '{ ($.message = "authorizer decision") && ($.decision = "unauthorized") }'],
    ['JwksFetchFailures', '{ $.message = "jwks fetch failed" }'],
    ['LoggedErrors', '{ $.level = "ERROR" }'],
  ])('publishes %s from the decision log with a metric filter', (metricName, pattern) => {
    template.hasResourceProperties('AWS::Logs::MetricFilter', {
      FilterPattern: pattern,
      MetricTransformations: [
        Match.objectLike({
          MetricName: metricName,
          MetricNamespace: Match.stringLikeRegexp('^Keygate/'),
          MetricValue: '1',
        }),
      ],
    });
  });

  test('counts every decision by outcome and reason code', () => {
    template.hasResourceProperties('AWS::Logs::MetricFilter', {
      FilterPattern: '{ $.message = "authorizer decision" }',
      MetricTransformations: [
        {
          MetricName: 'Decisions',
          MetricNamespace: Match.stringLikeRegexp('^Keygate/'),
          MetricValue: '1',
          Unit: 'Count',
          Dimensions: [
            { Key: 'Decision', Value: '$.decision' },
            { Key: 'Reason', Value: '$.reason' },
          ],
        },
      ],
    });
  });

  test('adds the route key to the identity sources in simple mode', () => {
    // GIVEN simple answers, no caching (a route binds a path parameter)
    const t = withHttpRoute({
      responseMode: AuthorizerResponseMode.SIMPLE,
      resultsCacheTtl: Duration.seconds(0),
    });
    // THEN
    t.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      EnableSimpleResponses: true,
      AuthorizerPayloadFormatVersion: '2.0',
      IdentitySource: ['$request.header.Authorization', '$context.routeKey'],
      AuthorizerResultTtlInSeconds: 0,
    });
    expect(configOf(t)).toMatchObject({ responseMode: 'simple' });
  });

  test('caches simple answers when no route binds a path parameter', () => {
    const t = withHttpRoute({ responseMode: AuthorizerResponseMode.SIMPLE }, '/models', false);
    t.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', { AuthorizerResultTtlInSeconds: 300 });
  });

  test('drops identity sources and caching when a cookie may carry the token', () => {
    const t = withHttpRoute({ tokenCookie: 'kg_session' });
    t.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      IdentitySource: Match.absent(),
      AuthorizerResultTtlInSeconds: 0,
    });
    expect(configOf(t)).toMatchObject({ tokenSource: { header: 'Authorization', cookie: 'kg_session' } });
  });

  test('a token cookie turns the REST result cache off too, and carries its allowed origins', () => {
    // GIVEN a REST API whose authorizer reads the token from a cookie: the same-origin check depends on
    // each request's headers, so no answer may be cached and replayed to another request
    const { stack } = newStack();
    const authorizer = new KeygateAuthorizer(stack, 'Authorizer', {
      issuers: [realm()],
      tokenCookie: 'access_token',
      tokenCookieAllowedOrigins: ['https://app.example.com'],
    });
    new SecuredRestApi(stack, 'Rest', {
      authorizer,
      routes: [
        {
          method: HttpMethod.POST,
          path: '/models',
          backend: inlineBackend(stack),
          auth: RouteAuth.keycloak(Requirement.anyOf({ realmRoles: ['model-user'] })),
        },
      ],
    });
    // WHEN
    const t = Template.fromStack(stack);
    // THEN
    expect(authorizer.resultsCacheTtlSeconds).toBe(0);
    t.hasResourceProperties('AWS::ApiGateway::Authorizer', {
      Type: 'REQUEST',
      IdentitySource: '',
      AuthorizerResultTtlInSeconds: 0,
    });
    expect(configOf(t)).toMatchObject({
      tokenSource: { cookie: 'access_token', allowedOrigins: ['https://app.example.com'] },
    });
  });

  test('carries the runtime options from typed props', () => {
    const t = withHttpRoute({
      clockSkew: Duration.seconds(10),
      jwksTimeout: Duration.millis(1500),
      verifiedCacheSize: 50,
      tokenHeader: 'X-Api-Token',
    });
    expect(configOf(t)).toMatchObject({
      clockSkewSeconds: 10,
      jwksTimeoutMs: 1500,
      verifiedCacheSize: 50,
      tokenSource: { header: 'X-Api-Token' },
    });
    t.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      IdentitySource: ['$request.header.X-Api-Token'],
    });
  });

  test('gzips a configuration that does not fit in the 4 KB environment', () => {
    // GIVEN 40 routes with long requirements
    const { stack } = newStack();
    const authorizer = new KeygateAuthorizer(stack, 'Authorizer', { issuers: [realm()] });
    const backend = inlineBackend(stack);
    const api = new SecuredHttpApi(stack, 'Http', { authorizer });
    for (let i = 0; i < 40; i++) {
      api.addRoute({
        method: HttpMethod.GET,
        path: `/reports/section-${i}`,
        backend,
        auth: RouteAuth.keycloak(
          Requirement.anyOf({
            realmRoles: [`reports-reader-section-${i}`],
            groups: [`/departments/analytics/section-${i}`],
          }),
        ),
      });
    }
    // WHEN
    const t = Template.fromStack(stack);
    const raw = Object.values(t.findResources('AWS::Lambda::Function'))
      .map((f) => f.Properties.Environment?.Variables?.KEYGATE_CONFIG as string | undefined)
      .find((v) => v !== undefined)!;
    // THEN
    expect(raw.startsWith('gz:')).toBe(true);
    expect(raw.length).toBeLessThanOrEqual(3584);
    expect((configOf(t) as { routes: unknown[] }).routes).toHaveLength(40);
  });

  test('opens browser sessions with the keyring secret, without caching', () => {
    // GIVEN sessions and a browser route
    const { stack } = newStack();
    const keys = new secretsmanager.Secret(stack, 'Keys');
    const authorizer = new KeygateAuthorizer(stack, 'Authorizer', {
      issuers: [realm()],
      browserSessions: { keysSecret: keys, cookieName: 'kg', allowedOrigins: ['https://app.example.com'] },
    });
    new SecuredHttpApi(stack, 'Http', {
      authorizer,
      routes: [
        {
          method: HttpMethod.GET,
          path: '/me',
          backend: inlineBackend(stack),
          auth: RouteAuth.keycloak(),
          browser: true,
        },
      ],
    });
    // WHEN
    const t = Template.fromStack(stack);
    // THEN the keyring is referenced, never inlined, and the extension layer reads it
    t.hasResourceProperties('AWS::Lambda::Function', {
      Layers: [Match.anyValue()],
      Environment: {
        Variables: Match.objectLike({
          KEYGATE_CONFIG: {
            'Fn::Join': [
              '',
              Match.arrayWith([
                { Ref: Match.stringLikeRegexp('^Keys') },
                Match.stringLikeRegexp('"browserRoutes":\\["GET /me"\\]'),
              ]),
            ],
          },
        }),
      },
    });
    t.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
            Resource: { Ref: Match.stringLikeRegexp('^Keys') },
          }),
        ]),
      },
    });
    t.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      IdentitySource: Match.absent(),
      AuthorizerResultTtlInSeconds: 0,
    });
  });

  test('refers to a Cognito user pool and its clients by reference', () => {
    const { stack } = newStack();
    const pool = new cognito.UserPool(stack, 'Pool');
    const client = pool.addClient('Client');
    const kc = realm();
    const federated = TrustedIssuer.cognitoUserPool(pool, [client]);
    const authorizer = new KeygateAuthorizer(stack, 'Authorizer', { issuers: [kc, federated] });
    new SecuredHttpApi(stack, 'Http', {
      authorizer,
      routes: [
        {
          method: HttpMethod.GET,
          path: '/me',
          backend: inlineBackend(stack),
          auth: RouteAuth.keycloak(Requirement.authenticated().forIssuers(kc, federated)),
        },
      ],
    });
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          KEYGATE_CONFIG: {
            'Fn::Join': [
              '',
              Match.arrayWith([
                { Ref: Match.stringLikeRegexp('^Pool') },
                { Ref: Match.stringLikeRegexp('^PoolClient') },
              ]),
            ],
          },
        }),
      },
    });
  });
});

describe('KeygateAuthorizer with several trusted issuers', () => {
  const partner = () =>
    TrustedIssuer.keycloakRealm({
      issuerUrl: 'https://sso.partner.example/realms/b',
      allowedAudiences: ['api'],
      roleClients: ['partner-api'],
    });

  function api(issuers: TrustedIssuer[], auth: RouteAuth): void {
    const { stack } = newStack();
    const authorizer = new KeygateAuthorizer(stack, 'Authorizer', { issuers });
    new SecuredHttpApi(stack, 'Http', {
      authorizer,
      routes: [{ method: HttpMethod.GET, path: '/admin', backend: inlineBackend(stack), auth }],
    });
  }

  test('refuses a route whose requirement names no issuer, naming the route and the fix', () => {
    expectValidationError(
      () => api([realm(), partner()], RouteAuth.keycloak(Requirement.anyOf({ realmRoles: ['admin'] }))),
      'routes[0].requirement.issuers',
      "KeygateAuthorizer: routes[0] (GET /admin): several issuers are trusted, so the requirement must name the issuers whose tokens may meet it: set requirement.issuers, e.g. ['https://sso.example.com/realms/ml']",
    );
  });

  test('accepts the route scoped with forIssuers and writes the scope into the config', () => {
    const { stack } = newStack();
    const kc = realm();
    const authorizer = new KeygateAuthorizer(stack, 'Authorizer', { issuers: [kc, partner()] });
    new SecuredHttpApi(stack, 'Http', {
      authorizer,
      routes: [
        {
          method: HttpMethod.GET,
          path: '/admin',
          backend: inlineBackend(stack),
          auth: RouteAuth.keycloak(Requirement.anyOf({ realmRoles: ['admin'] }).forIssuers(kc)),
        },
      ],
    });
    expect(configOf(Template.fromStack(stack))).toMatchObject({
      routes: [
        {
          method: 'GET',
          path: '/admin',
          requirement: { anyOf: { realmRoles: ['admin'] }, issuers: [ISSUER] },
        },
      ],
    });
  });

  test('refuses a client role no issuer in scope counts', () => {
    const b = partner();
    expectValidationError(
      () =>
        api(
          [realm(), b],
          RouteAuth.keycloak(Requirement.anyOf({ clientRoles: ['keygate-api:admin'] }).forIssuers(b)),
        ),
      'routes[0].requirement.anyOf.clientRoles[0]',
      "KeygateAuthorizer: routes[0] (GET /admin).requirement.anyOf.clientRoles: 'keygate-api:admin' can never be met: no issuer in scope counts roles of client 'keygate-api'; add it to that issuer's roleClients",
    );
  });

  test('refuses a scope naming an issuer the authorizer does not trust', () => {
    const stranger = TrustedIssuer.keycloakRealm({
      issuerUrl: 'https://sso.stranger.example/realms/c',
      allowedAudiences: ['api'],
    });
    expectValidationError(
      () => api([realm()], RouteAuth.keycloak(Requirement.authenticated().forIssuers(stranger))),
      'routes[0].requirement.issuers[0]',
      "KeygateAuthorizer: routes[0] (GET /admin).requirement.issuers: 'https://sso.stranger.example/realms/c' is not a trusted issuer (https://sso.example.com/realms/ml)",
    );
  });
});

describe('KeygateAuthorizer validation', () => {
  function build(props: Partial<KeygateAuthorizerProps>): Stack {
    const { stack } = newStack();
    new KeygateAuthorizer(stack, 'Authorizer', { issuers: [realm()], ...props });
    return stack;
  }

  it.each<[string, Partial<KeygateAuthorizerProps>, string, string]>([
    [
      'no issuer',
      { issuers: [] },
      'issuers',
      'KeygateAuthorizer: issuers must list at least one TrustedIssuer',
    ],
    [
      'a cache TTL over one hour',
      { resultsCacheTtl: Duration.seconds(3601) },
      'resultsCacheTtl',
      'KeygateAuthorizer: resultsCacheTtl must be a whole number of seconds from 0 to 3600 (1 hour), got 3601',
    ],
    [
      'caching with a cookie token source',
      { tokenCookie: 'session', resultsCacheTtl: Duration.minutes(5) },
      'resultsCacheTtl',
      "KeygateAuthorizer: resultsCacheTtl must be 0 when tokenCookie, tokenQueryParameter or browserSessions is set: API Gateway answers 401 without calling the authorizer when a listed identity source is missing, so a token that may come from either place leaves no identity source to cache by; and a cookie needs a same-origin check on each request's own Origin and Sec-Fetch-Site headers, which a cached answer would skip",
    ],
    [
      'a clock skew over 60 s',
      { clockSkew: Duration.seconds(61) },
      'clockSkew',
      'KeygateAuthorizer: clockSkew must be a whole number of seconds from 0 to 60, got 61',
    ],
    [
      'a JWKS timeout over 4 s',
      { jwksTimeout: Duration.seconds(5) },
      'jwksTimeout',
      'KeygateAuthorizer: jwksTimeout must be from 100 ms to 4000 ms, got 5000 ms',
    ],
    [
      'a negative cache size',
      { verifiedCacheSize: -1 },
      'verifiedCacheSize',
      'KeygateAuthorizer: verifiedCacheSize must be an integer from 0 to 100000, got -1',
    ],
    [
      'a memory size Lambda does not offer',
      { memorySize: 64 },
      'memorySize',
      'KeygateAuthorizer: memorySize must be an integer from 128 to 10240, got 64',
    ],
    [
      'a bad header name',
      { tokenHeader: 'Bad Header' },
      'tokenHeader',
      'KeygateAuthorizer: tokenHeader must be an HTTP header name',
    ],
    [
      'a bad cookie name',
      { tokenCookie: 'a;b' },
      'tokenCookie',
      'KeygateAuthorizer: tokenCookie must be a cookie name of letters, digits, _ . -',
    ],
    [
      'token cookie origins without a token cookie',
      { tokenCookieAllowedOrigins: ['https://app.example.com'] },
      'tokenCookieAllowedOrigins',
      'KeygateAuthorizer: tokenCookieAllowedOrigins needs tokenCookie',
    ],
    [
      'a token cookie origin with a path',
      { tokenCookie: 'at', tokenCookieAllowedOrigins: ['https://app.example.com/x'] },
      'tokenCookieAllowedOrigins',
      "KeygateAuthorizer: tokenCookieAllowedOrigins must list https origins (scheme, host, optional port), got 'https://app.example.com/x'",
    ],
    [
      'the same issuer twice',
      { issuers: [realm(), realm()] },
      'issuers[1]',
      `KeygateAuthorizer: issuers[1]: issuer ${ISSUER} is listed twice`,
    ],
    [
      'a bad query parameter name',
      { tokenQueryParameter: 'a b' },
      'tokenQueryParameter',
      'KeygateAuthorizer: tokenQueryParameter must be a parameter name of letters, digits, _ . -',
    ],
  ])('rejects %s', (_, props, field, message) => {
    expectValidationError(() => build(props), field, message);
  });

  it.each<[string, Omit<BrowserSessionOptions, 'keysSecret'>, string, string]>([
    [
      'a bad session cookie name',
      { cookieName: 'a;b' },
      'browserSessions.cookieName',
      'KeygateAuthorizer: browserSessions.cookieName must be 1-48 letters, digits, _ or -',
    ],
    [
      'a session cookie named as the token cookie',
      { cookieName: 'at' },
      'browserSessions.cookieName',
      'KeygateAuthorizer: browserSessions.cookieName must differ from tokenCookie',
    ],
    [
      'a bad CSRF header',
      { csrfHeader: 'x csrf' },
      'browserSessions.csrfHeader',
      'KeygateAuthorizer: browserSessions.csrfHeader must be an HTTP header name',
    ],
    [
      'an allowed origin with a path',
      { allowedOrigins: ['https://app.example.com/x'] },
      'browserSessions.allowedOrigins',
      'KeygateAuthorizer: browserSessions.allowedOrigins must be a list of https origins (scheme, host and optional port only)',
    ],
    [
      'a public base URL with a trailing slash',
      { publicBaseUrl: 'https://api.example.com/' },
      'browserSessions.publicBaseUrl',
      'KeygateAuthorizer: browserSessions.publicBaseUrl must be an https URL without a trailing slash',
    ],
  ])('rejects browser sessions with %s', (_, sessions, field, message) => {
    const { stack } = newStack();
    const keysSecret = new secretsmanager.Secret(stack, 'Keys');
    expectValidationError(
      () =>
        new KeygateAuthorizer(stack, 'Authorizer', {
          issuers: [realm()],
          tokenCookie: 'at',
          browserSessions: { keysSecret, ...sessions },
        }),
      field,
      message,
    );
  });

  test('rejects a cached simple answer for a route that binds a path parameter', () => {
    expectValidationError(
      () => withHttpRoute({ responseMode: AuthorizerResponseMode.SIMPLE }),
      'resultsCacheTtl',
      'KeygateAuthorizer: resultsCacheTtl must be 0 with responseMode SIMPLE, because route POST /models/{modelId}/invoke binds a path parameter and a cached simple answer is keyed by the route, not by the concrete path',
    );
  });

  test('rejects a browser route without browser sessions', () => {
    const { stack } = newStack();
    const authorizer = new KeygateAuthorizer(stack, 'Authorizer', { issuers: [realm()] });
    expectValidationError(
      () =>
        authorizer.addRoute({
          method: HttpMethod.GET,
          path: '/me',
          auth: RouteAuth.keycloak(),
          browser: true,
        }),
      'browser',
      'KeygateAuthorizer: route GET /me is marked browser, which needs the browserSessions prop',
    );
  });

  test('rejects a browser route that is not a GET', () => {
    const { stack } = newStack();
    const keys = new secretsmanager.Secret(stack, 'Keys');
    const authorizer = new KeygateAuthorizer(stack, 'Authorizer', {
      issuers: [realm()],
      browserSessions: { keysSecret: keys },
    });
    expectValidationError(
      () =>
        authorizer.addRoute({
          method: HttpMethod.POST,
          path: '/forms',
          auth: RouteAuth.keycloak(),
          browser: true,
        }),
      'browser',
      'KeygateAuthorizer: route POST /forms is marked browser, which only a GET route with Keycloak auth can be',
    );
    expect(authorizer.routeKeys).toEqual([]);
  });

  test('rejects one route registered twice with different requirements', () => {
    const { stack } = newStack();
    const authorizer = new KeygateAuthorizer(stack, 'Authorizer', { issuers: [realm()] });
    authorizer.addRoute({
      method: HttpMethod.GET,
      path: '/models',
      auth: RouteAuth.keycloak(Requirement.anyOf({ realmRoles: ['a'] })),
    });
    expectValidationError(
      () =>
        authorizer.addRoute({
          method: HttpMethod.GET,
          path: '/models',
          auth: RouteAuth.keycloak(Requirement.anyOf({ realmRoles: ['b'] })),
        }),
      'auth',
      'KeygateAuthorizer: route GET /models is already registered with a different authorization',
    );
  });
});

describe('KeygateAuthorizer.restAuthorizer', () => {
  test('creates one REST authorizer per API and returns it again for the same API', () => {
    // GIVEN one authorizer and two REST APIs
    const { stack } = newStack();
    const authorizer = new KeygateAuthorizer(stack, 'Authorizer', { issuers: [realm()] });
    const first = new apigw.RestApi(stack, 'First');
    const second = new apigw.RestApi(stack, 'Second');
    // WHEN each API asks twice
    const a = authorizer.restAuthorizer(first);
    const b = authorizer.restAuthorizer(second);
    // THEN the same API gets the same authorizer, another API its own
    expect(authorizer.restAuthorizer(first)).toBe(a);
    expect(authorizer.restAuthorizer(second)).toBe(b);
    expect(b).not.toBe(a);
    first.root.addMethod('GET', undefined, {
      authorizationType: apigw.AuthorizationType.CUSTOM,
      authorizer: a,
    });
    second.root.addMethod('GET', undefined, {
      authorizationType: apigw.AuthorizationType.CUSTOM,
      authorizer: b,
    });
    const authorizers = Template.fromStack(stack).findResources('AWS::ApiGateway::Authorizer');
    // The first API's keeps the id it always had; the second's is named after its API, not the call order.
    expect(Object.keys(authorizers)).toHaveLength(2);
    expect(
      Object.keys(authorizers).filter((id) => /^AuthorizerRestAuthorizer[0-9A-F]{8}$/.test(id)),
    ).toHaveLength(1);
    expect(
      Object.values(authorizers)
        .map((r) => (r.Properties as { RestApiId: { Ref: string } }).RestApiId.Ref)
        .sort(),
    ).toEqual([expect.stringMatching(/^First/), expect.stringMatching(/^Second/)]);
  });

  test("refuses to bind one API's authorizer to another API", () => {
    const { stack } = newStack();
    const authorizer = new KeygateAuthorizer(stack, 'Authorizer', { issuers: [realm()] });
    const first = new apigw.RestApi(stack, 'First');
    const second = new apigw.RestApi(stack, 'Second');
    const own = authorizer.restAuthorizer(first);
    first.root.addMethod('GET', undefined, {
      authorizationType: apigw.AuthorizationType.CUSTOM,
      authorizer: own,
    });
    expect(() =>
      second.root.addMethod('GET', undefined, {
        authorizationType: apigw.AuthorizationType.CUSTOM,
        authorizer: own,
      }),
    ).toThrow('Cannot attach authorizer to two different rest APIs');
  });

  test('two SecuredRestApis sharing an authorizer get one REST authorizer each', () => {
    const { stack } = newStack();
    const authorizer = new KeygateAuthorizer(stack, 'Authorizer', { issuers: [realm()] });
    const backend = inlineBackend(stack);
    for (const id of ['One', 'Two']) {
      new SecuredRestApi(stack, id, {
        authorizer,
        routes: [
          { method: HttpMethod.GET, path: '/a', backend, auth: RouteAuth.keycloak() },
          { method: HttpMethod.GET, path: '/b', backend, auth: RouteAuth.keycloak() },
        ],
      });
    }
    const t = Template.fromStack(stack);
    t.resourceCountIs('AWS::ApiGateway::Authorizer', 2);
    t.resourceCountIs('AWS::ApiGateway::Method', 4);
  });
});

describe('TrustedIssuer', () => {
  it.each<[string, () => unknown, string, string]>([
    [
      'a realm without client or audience checks',
      () => TrustedIssuer.keycloakRealm({ issuerUrl: ISSUER }),
      'allowedClients',
      'TrustedIssuer.keycloakRealm: set allowedClients (azp) and/or allowedAudiences (aud); a realm alone is too broad',
    ],
    [
      'a plain-http issuer',
      () =>
        TrustedIssuer.keycloakRealm({
          issuerUrl: 'http://sso.example.com/realms/ml',
          allowedClients: ['web'],
        }),
      'issuerUrl',
      "TrustedIssuer.keycloakRealm.issuerUrl must be an https URL without a trailing slash (a development Keycloak's http issuer needs insecureHttpIssuerForDevelopmentOnly: true)",
    ],
    [
      'an issuer with a trailing slash',
      () => TrustedIssuer.keycloakRealm({ issuerUrl: `${ISSUER}/`, allowedClients: ['web'] }),
      'issuerUrl',
      'TrustedIssuer.keycloakRealm.issuerUrl must be an https URL without a trailing slash',
    ],
    [
      'a plain-http JWKS URI',
      () =>
        TrustedIssuer.keycloakRealm({
          issuerUrl: ISSUER,
          jwksUri: 'http://sso.example.com/certs',
          allowedClients: ['web'],
        }),
      'jwksUri',
      'TrustedIssuer.keycloakRealm.jwksUri must be an https URL',
    ],
    [
      'an empty algorithm list',
      () => TrustedIssuer.keycloakRealm({ issuerUrl: ISSUER, allowedClients: ['web'], algorithms: [] }),
      'algorithms',
      'TrustedIssuer.keycloakRealm.algorithms must be a non-empty list from RS256, RS384, RS512, ES256, ES384, ES512, EdDSA',
    ],
    [
      'a Cognito pool without clients',
      () => TrustedIssuer.cognitoUserPool(new cognito.UserPool(newStack().stack, 'Pool'), []),
      'clients',
      'TrustedIssuer.cognitoUserPool.clients must list at least one app client',
    ],
    [
      'a role client with a colon',
      () => {
        const { stack } = newStack();
        const pool = new cognito.UserPool(stack, 'Pool');
        return TrustedIssuer.cognitoUserPool(pool, [pool.addClient('Web')], { roleClients: ['a:b'] });
      },
      'roleClients',
      "TrustedIssuer.cognitoUserPool.roleClients must be a list of client ids (no ':', '/', '*', '?' or whitespace)",
    ],
  ])('rejects %s', (_, make, field, message) => {
    expectValidationError(make, field, message);
  });

  test('accepts the algorithms the verifier supports', () => {
    const issuer = TrustedIssuer.keycloakRealm({
      issuerUrl: ISSUER,
      allowedAudiences: ['api'],
      algorithms: [SigningAlgorithm.ES256, SigningAlgorithm.EDDSA],
    });
    expect(issuer._config).toMatchObject({ algorithms: ['ES256', 'EdDSA'] });
  });

  describe('with the result cache on, refuses a route table a cached policy cannot express', () => {
    const tenantRoute = {
      method: HttpMethod.GET,
      path: '/api/{version}/projects/{projectId}/{proxy+}',
      auth: RouteAuth.keycloak(Requirement.anyOf({ realmRoles: ['project:{projectId}:read'] })),
    };

    test('a free parameter before a bound one names both and the fix', () => {
      const { stack } = newStack();
      const authorizer = new KeygateAuthorizer(stack, 'Authorizer', { issuers: [realm()] });
      expectValidationError(
        () => authorizer.addRoute(tenantRoute),
        'routes[0]',
        'KeygateAuthorizer: routes: GET /api/{version}/projects/{projectId}/{proxy+} has {version} before {projectId}, ' +
          "which its requirement binds: its policy resource writes * for {version}, and IAM's * also matches '/', so a " +
          'cached allow for one {projectId} could match a request for another; put the bound parameter before every ' +
          'free one, or set the authorizer result cache TTL to 0',
      );
    });

    test('a wildcard route beside an ANY route that binds a parameter', () => {
      const { stack } = newStack();
      const authorizer = new KeygateAuthorizer(stack, 'Authorizer', { issuers: [realm()] });
      authorizer.addRoute({
        method: HttpMethod.ANY,
        path: '/models/{modelId}/invoke',
        auth: RouteAuth.keycloak(Requirement.anyOf({ realmRoles: ['model:{modelId}:invoke'] })),
      });
      expectValidationError(
        () =>
          authorizer.addRoute({
            method: HttpMethod.POST,
            path: '/{proxy+}',
            auth: RouteAuth.keycloak(Requirement.anyOf({ realmRoles: ['staff'] })),
          }),
        'routes[0]',
        'KeygateAuthorizer: routes: POST /{proxy+} and ANY /models/{modelId}/invoke overlap: a policy resource allowing ' +
          'POST /{proxy+} would also match requests of ANY /models/{modelId}/invoke, whose requirement binds {modelId} ' +
          "(IAM's * also matches '/', and IAM has no single-segment wildcard), so a cached policy could allow " +
          'ANY /models/{modelId}/invoke for values it does not grant; give the routes distinct literal segments, or set ' +
          'the authorizer result cache TTL to 0',
      );
      expect(authorizer.routeKeys).toEqual(['ANY /models/{modelId}/invoke']);
    });

    test('accepts the same table with resultsCacheTtl 0, and tells the function', () => {
      const { stack } = newStack();
      const authorizer = new KeygateAuthorizer(stack, 'Authorizer', {
        issuers: [realm()],
        resultsCacheTtl: Duration.seconds(0),
      });
      authorizer.addRoute(tenantRoute);
      expect(configOf(Template.fromStack(stack))).toMatchObject({ resultCacheTtlSeconds: 0 });
    });
  });
});
