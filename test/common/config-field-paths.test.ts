/**
 * Every configuration mistake names its exact field: the authorizer configuration's blocks (tokenSource,
 * session, revocation, usage, tokenBinding) at cold start and at synth, and a stage's `models`.
 */
import { App, Duration, Stack } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import type { AppConfigResult } from '../../common/app-config-validate';
import { validateAppConfig } from '../../common/app-config-validate';
import { AUTHORIZER_CONFIG_ENV, validateSessionBlock } from '../../common/authorizer-config';
import { validateAuthorizerConfig } from '../../common/authorizer-config-validate';
import { DEFAULT_APP_CONFIG } from '../../common/app-config';
import { MODEL_ID_RULE } from '../../common/model-contract';
import { loadConfig } from '../../lambda/authorizer/load-config';
import { buildKeygateApp } from '../../lib/app/build-app';
import { KeygateAuthorizer } from '../../lib/authorizer/keygate-authorizer';
import type { KeygateAuthorizerProps } from '../../lib/authorizer/keygate-authorizer';
import { propFieldOf } from '../../lib/authorizer/render-authorizer-config';
import { TrustedIssuer } from '../../lib/authorizer/trusted-issuer';
import { expectValidationError } from '../lib/validation';

const ISSUER = 'https://sso.example.com/realms/ml';
const OTHER = 'https://sso.example.com/realms/other';
const BASE = {
  version: 1,
  issuers: [{ kind: 'keycloak', issuer: ISSUER, allowedClients: ['web'] }],
  routes: [
    { method: 'GET', path: '/me', auth: 'keycloak' },
    { method: 'POST', path: '/models/{modelId}/invoke', auth: 'keycloak' },
    { method: 'GET', path: '/machine', auth: 'iam' },
  ],
  resultCacheTtlSeconds: 0,
};
const SESSION = { keysSecretId: 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:keys' };
const USAGE = { defaultTier: 'free', assignments: [], keySecrets: { free: 'arn:free', team: 'arn:team' } };

/** [block, its value, the field, the message] for one mistake inside a block of the configuration. */
const AUTHORIZER_CASES: [string, unknown, string, string][] = [
  ['tokenSource', 'x', 'tokenSource', 'tokenSource must be an object'],
  ['tokenSource', { header: 'a b' }, 'tokenSource.header', 'tokenSource.header must be an HTTP header name'],
  [
    'tokenSource',
    { cookie: 'a;b' },
    'tokenSource.cookie',
    'tokenSource.cookie must be a cookie name of letters, digits, _ . -',
  ],
  [
    'tokenSource',
    { query: 'a b' },
    'tokenSource.query',
    'tokenSource.query must be a parameter name of letters, digits, _ . -',
  ],
  [
    'tokenSource',
    { allowedOrigins: ['https://app.example.com'] },
    'tokenSource.allowedOrigins',
    'tokenSource.allowedOrigins needs tokenSource.cookie (it applies to cookie-borne tokens)',
  ],
  ['tokenSource', { header: 'x', extra: 1 }, 'tokenSource.extra', 'tokenSource.extra is not a field'],
  ['session', [], 'session', 'session must be an object'],
  [
    'session',
    { keysSecretId: '' },
    'session.keysSecretId',
    'session.keysSecretId must be a non-empty string',
  ],
  [
    'session',
    { ...SESSION, cookieName: 'a;b' },
    'session.cookieName',
    'session.cookieName must be 1-48 letters, digits, _ or -',
  ],
  [
    'session',
    { ...SESSION, csrfHeader: 'x csrf' },
    'session.csrfHeader',
    'session.csrfHeader must be an HTTP header name',
  ],
  [
    'session',
    { ...SESSION, allowedOrigins: ['http://app.example.com'] },
    'session.allowedOrigins',
    'session.allowedOrigins must be a list of https origins (scheme, host and optional port only)',
  ],
  [
    'session',
    { ...SESSION, browserRoutes: 'GET /me' },
    'session.browserRoutes',
    'session.browserRoutes must be a list of route keys',
  ],
  [
    'session',
    { ...SESSION, browserRoutes: ['GET /me', 'GET /machine'] },
    'session.browserRoutes[1]',
    "session.browserRoutes: 'GET /machine' is not a GET keycloak route of routes",
  ],
  [
    'session',
    { ...SESSION, publicBaseUrl: 'https://api.example.com/' },
    'session.publicBaseUrl',
    'session.publicBaseUrl must be an https URL without a trailing slash',
  ],
  ['session', { ...SESSION, extra: true }, 'session.extra', 'session.extra is not a field'],
  ['revocation', 'x', 'revocation', 'revocation must be an object'],
  [
    'revocation',
    { boundSeconds: 0 },
    'revocation.boundSeconds',
    'revocation.boundSeconds must be an integer from 1 to 300',
  ],
  [
    'revocation',
    { tableName: 'a b' },
    'revocation.tableName',
    'revocation.tableName must be a DynamoDB table name (3-255 of A-Z a-z 0-9 _ . -)',
  ],
  ['revocation', { ttl: 3 }, 'revocation.ttl', 'revocation.ttl is not a field'],
  ['usage', 'x', 'usage', 'usage must be an object { defaultTier, assignments, keySecrets }'],
  [
    'usage',
    { ...USAGE, defaultTier: 'gold' },
    'usage.defaultTier',
    "usage.defaultTier must name one of keySecrets' tiers",
  ],
  [
    'usage',
    {
      ...USAGE,
      assignments: [
        { tier: 'free', realmRole: 'a' },
        { tier: 'gold', realmRole: 'b' },
      ],
    },
    'usage.assignments[1].tier',
    'usage.assignments[1].tier must name one of the tiers (free, team)',
  ],
  [
    'usage',
    { ...USAGE, callerKeys: { table: 'keys', tiers: ['free', 'gold'] } },
    'usage.callerKeys.tiers[1]',
    'usage.callerKeys.tiers: gold is not a tier with a key secret (free, team)',
  ],
  [
    'usage',
    { ...USAGE, callerKeys: { table: 'keys', tiers: ['free'], plans: {} } },
    'usage.callerKeys.plans',
    'usage.callerKeys.plans is not a field (table, tiers)',
  ],
  [
    'usage',
    { ...USAGE, extra: 1 },
    'usage.extra',
    'usage.extra is not a field (defaultTier, assignments, keySecrets, callerKeys)',
  ],
  ['tokenBinding', {}, 'tokenBinding', 'tokenBinding must set dpop or mtls'],
  [
    'tokenBinding',
    { dpop: { issuers: [ISSUER, OTHER] } },
    'tokenBinding.dpop.issuers[1]',
    `tokenBinding.dpop.issuers: '${OTHER}' is not a trusted issuer (${ISSUER})`,
  ],
  [
    'tokenBinding',
    { mtls: { routes: ['GET /me', 'GET /machine'] } },
    'tokenBinding.mtls.routes[1]',
    "tokenBinding.mtls.routes: 'GET /machine' is not a keycloak route of the table (e.g. 'GET /me')",
  ],
  [
    'tokenBinding',
    { dpop: { proofMaxAgeSeconds: 301 } },
    'tokenBinding.dpop.proofMaxAgeSeconds',
    'tokenBinding.dpop.proofMaxAgeSeconds must be an integer from 1 to 300',
  ],
  [
    'tokenBinding',
    { mtls: { algorithms: ['ES256'] } },
    'tokenBinding.mtls.algorithms',
    'tokenBinding.mtls.algorithms is not a field (issuers, routes)',
  ],
  ['tokenBinding', { dpop: {}, x: 1 }, 'tokenBinding.x', 'tokenBinding.x is not a field (dpop, mtls)'],
];

describe('authorizer configuration: the exact field of a mistake inside a block', () => {
  it.each(AUTHORIZER_CASES)('%s %j: %s', (block, value, path, message) => {
    const config = { ...BASE, [block]: value };
    // The check every side shares.
    expect(validateAuthorizerConfig(config)).toEqual({
      ok: false,
      errors: [message],
      issues: [{ path, message }],
    });
    // The function at cold start: the same message, led by the same field.
    expect(loadConfig({ [AUTHORIZER_CONFIG_ENV]: JSON.stringify(config) }, validateSessionBlock)).toEqual({
      ok: false,
      errors: [`${AUTHORIZER_CONFIG_ENV}: ${message}`],
    });
  });

  it('names resultCacheTtlSeconds when a block needs the result cache off or within its bound', () => {
    const cached = { ...BASE, resultCacheTtlSeconds: 60 };
    expect(validateAuthorizerConfig({ ...cached, revocation: { boundSeconds: 30 } })).toMatchObject({
      issues: [{ path: 'resultCacheTtlSeconds' }],
    });
    expect(
      validateAuthorizerConfig({ ...cached, tokenBinding: { mtls: { issuers: [ISSUER] } } }),
    ).toMatchObject({
      issues: [{ path: 'resultCacheTtlSeconds' }],
    });
  });
});

describe('KeygateAuthorizer: the construct-time field of a configuration issue', () => {
  it.each([
    ['tokenSource.header', 'tokenHeader'],
    ['tokenSource.cookie', 'tokenCookie'],
    ['tokenSource.query', 'tokenQueryParameter'],
    ['tokenSource.allowedOrigins', 'tokenCookieAllowedOrigins'],
    ['tokenSource', 'tokenHeader'],
    ['session.keysSecretId', 'browserSessions.keysSecret'],
    ['session.cookieName', 'browserSessions.cookieName'],
    ['session.browserRoutes[1]', 'browserSessions.browserRoutes[1]'],
    ['revocation.boundSeconds', 'revocation.boundSeconds'],
    ['usage.assignments[1].tier', 'usageTiers.assignments[1].tier'],
    ['usage.callerKeys.tiers[0]', 'usageTiers.callerKeys.tiers[0]'],
    ['tokenBinding.dpop.issuers[1]', 'tokenBinding.dpop.issuers[1]'],
    ['tokenBinding.dpop.proofMaxAgeSeconds', 'tokenBinding.dpop.proofMaxAge'],
    ['tokenBinding.dpop.replayTableName', 'tokenBinding.dpop.replayTable'],
    ['resultCacheTtlSeconds', 'resultsCacheTtl'],
    ['routes[3].requirement.issuers[0]', 'routes[3].requirement.issuers[0]'],
    ['version', 'version'],
  ])('%s is the prop %s', (path, field) => {
    expect(propFieldOf(path)).toBe(field);
  });

  const realm = () => TrustedIssuer.keycloakRealm({ issuerUrl: ISSUER, allowedClients: ['web'] });
  const other = () => TrustedIssuer.keycloakRealm({ issuerUrl: OTHER, allowedClients: ['web'] });
  it.each<[string, Partial<KeygateAuthorizerProps>, string, string]>([
    [
      'a DPoP scope naming an issuer the authorizer does not trust',
      { tokenBinding: { dpop: { issuers: [realm(), other()] } } },
      'tokenBinding.dpop.issuers[1]',
      `tokenBinding.dpop.issuers: '${OTHER}' is not a trusted issuer (${ISSUER})`,
    ],
    [
      'a DPoP proof age over 5 minutes',
      { tokenBinding: { dpop: { proofMaxAge: Duration.seconds(301) } } },
      'tokenBinding.dpop.proofMaxAge',
      'tokenBinding.dpop.proofMaxAgeSeconds must be an integer from 1 to 300',
    ],
    [
      'a DPoP algorithm that is not asymmetric',
      { tokenBinding: { dpop: { algorithms: ['HS256'] } } },
      'tokenBinding.dpop.algorithms',
      'tokenBinding.dpop.algorithms must be a non-empty list of ES256, ES384, ES512, RS256, RS384, RS512, PS256, PS384, PS512, EdDSA',
    ],
    [
      'a DPoP base URL over plain http',
      { tokenBinding: { dpop: { publicBaseUrl: 'http://api.example.com' } } },
      'tokenBinding.dpop.publicBaseUrl',
      'tokenBinding.dpop.publicBaseUrl must be an https URL (http on a loopback address) without a trailing slash',
    ],
  ])('%s', (_name, props, field, message) => {
    const stack = new Stack();
    expectValidationError(
      () => new KeygateAuthorizer(stack, 'Authorizer', { issuers: [realm()], ...props }),
      field,
      `KeygateAuthorizer: ${message}`,
    );
  });
});

describe("stage configuration: the exact field of a mistake in a stage's models", () => {
  const [name, base] = Object.entries(DEFAULT_APP_CONFIG.stages)[0];
  const stage = (models: unknown) => ({ stages: { [name]: { ...base, models } } });
  const demo = { id: 'sentiment', kind: 'demo', demo: 'sentiment' };
  const refused = (result: AppConfigResult) => (result.ok ? [] : result.issues);

  it.each<[string, unknown, string, string]>([
    ['no list', 'all', `keygate.stages.${name}.models`, 'must list at least one model'],
    [
      'a bad id',
      [demo, { ...demo, id: 'Bad id' }],
      `keygate.stages.${name}.models[1].id`,
      `must be ${MODEL_ID_RULE} (it appears in paths and role names)`,
    ],
    [
      'a SageMaker model without its endpoint',
      [demo, { id: 'a', kind: 'demo', demo: 'keywords' }, { id: 'sm', kind: 'sagemaker' }],
      `keygate.stages.${name}.models[2].sagemakerEndpointName`,
      'must be a SageMaker endpoint name (^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$)',
    ],
    [
      'an id used twice',
      [demo, demo],
      `keygate.stages.${name}.models[1].id`,
      "'sentiment' is used by another model",
    ],
    [
      'an unknown field',
      [{ ...demo, size: 'xl' }],
      `keygate.stages.${name}.models[0].size`,
      'is not a known field (id, kind, description, demo, bedrockModelId, sagemakerEndpointName)',
    ],
  ])('%s', (_name, models, path, rule) => {
    expect(refused(validateAppConfig(stage(models)))).toEqual([{ path, message: `${path} ${rule}` }]);
  });

  it.each<[string, Record<string, unknown>, string, string]>([
    [
      'a revocation bound of 0',
      { revocation: { boundSeconds: 0 } },
      'revocation.boundSeconds',
      'must be an integer from 1 to 300',
    ],
    [
      'an unknown revocation field',
      { revocation: { boundSeconds: 300, ttl: 5 } },
      'revocation.ttl',
      'is not a field',
    ],
    [
      'a DPoP route the stage does not have',
      { tokenBinding: { dpop: { routes: ['GET /nowhere'] } } },
      'tokenBinding.dpop.routes[0]',
      ": 'GET /nowhere' is not a keycloak route of the table (e.g. 'GET /me')",
    ],
  ])("names the exact field of %s in the stage's other blocks", (_name, block, field, rule) => {
    const [only] = Object.keys(block);
    const config = { stages: { [name]: { ...base, [only]: block[only] } } };
    const path = `keygate.stages.${name}.${field}`;
    const at = path.slice(0, path.lastIndexOf('['));
    const message = rule.startsWith(':') ? `${at}${rule}` : `${path} ${rule}`;
    expect(refused(validateAppConfig(config))).toEqual([{ path, message }]);
  });

  it('is the field of the error `cdk synth` raises', () => {
    const app = new App({ context: { keygate: stage([demo, { id: 'sm', kind: 'sagemaker' }]) } });
    const path = `keygate.stages.${name}.models[1].sagemakerEndpointName`;
    expectValidationError(
      () => buildKeygateApp(app),
      path,
      `Invalid Keygate configuration:\n  ${path} must be a SageMaker endpoint name (^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$)`,
    );
  });
});
