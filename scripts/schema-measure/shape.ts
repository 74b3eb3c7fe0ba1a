/**
 * The shape the schema-library measurement validates in every candidate: the authorizer configuration's
 * structure (issuers, token source, session, numbers, route entries), with the same patterns as
 * common/authorizer-config.ts. Only the structure: the cross-field checks (issuer scopes, route overlap,
 * policy size) are plain functions in every design, so they cost the same whichever library is chosen.
 */
export const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'ES256', 'ES384', 'ES512', 'EdDSA'] as const;
export const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS', 'ANY'] as const;
export const REGION = /^[a-z]{2}(?:-[a-z]+)+-\d$/;
export const USER_POOL_ID = /^([a-z]{2}(?:-[a-z]+)+-\d)_[A-Za-z0-9]+$/;
export const HEADER = /^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}$/;
export const COOKIE_OR_QUERY = /^[A-Za-z0-9_.-]{1,64}$/;
export const ROLE_CLIENT = /^[^\s:*?/]{1,255}$/;

const ISS = 'https://sso.example.com/realms/ml';

/** The configuration every candidate validates (two issuers, seven routes, a token source). */
export const SAMPLE = {
  version: 1,
  issuers: [
    {
      kind: 'keycloak',
      issuer: 'https://sso.example.com/realms/ml',
      allowedClients: ['keygate-web', 'batch-scorer'],
      allowedAudiences: ['keygate-api'],
      algorithms: ['RS256'],
      roleClients: ['keygate-api'],
    },
    { kind: 'cognito', userPoolId: 'eu-west-1_AbCdEf123', region: 'eu-west-1', allowedClients: ['abc'] },
  ],
  routes: [
    { method: 'GET', path: '/me', auth: 'keycloak', requirement: { issuers: [ISS] } },
    {
      method: 'GET',
      path: '/models',
      auth: 'keycloak',
      requirement: { issuers: [ISS], anyOf: { realmRoles: ['model-user'] } },
    },
    {
      method: 'POST',
      path: '/models/{modelId}/invoke',
      auth: 'keycloak',
      requirement: {
        issuers: [ISS],
        anyOf: {
          realmRoles: ['model:{modelId}:invoke'],
          clientRoles: ['keygate-api:model:{modelId}:invoke'],
        },
      },
    },
    { method: 'GET', path: '/machine/models', auth: 'iam' },
    { method: 'POST', path: '/machine/models/{modelId}/invoke', auth: 'iam' },
    { method: 'GET', path: '/health', auth: 'cognito-user-pool' },
    {
      method: 'DELETE',
      path: '/models/{modelId}',
      auth: 'keycloak',
      requirement: { issuers: [ISS], allOf: { realmRoles: ['admin'] } },
    },
  ],
  tokenSource: { header: 'Authorization', query: 'access_token' },
  clockSkewSeconds: 30,
  responseMode: 'iam',
  jwksTimeoutMs: 2000,
  resultCacheTtlSeconds: 300,
};

/**
 * The constructors a candidate library provides for the shape: each entry implements them with its
 * library's own functions, so configSchema writes the shape once and every candidate validates the same.
 */
export interface SchemaKit<S> {
  literal(value: string | number): S;
  /** A string matching `pattern`. */
  matching(pattern: RegExp): S;
  /** A string of 1 to `max` characters. */
  text(max: number): S;
  /** A string starting with `prefix`. */
  startsWith(prefix: string): S;
  httpsUrl(): S;
  boolean(): S;
  picklist(values: readonly [string, ...string[]]): S;
  /** An integer from `min` to `max`. */
  intIn(min: number, max: number): S;
  optional(schema: S): S;
  /** A list of `item`, of at least `minLength` entries. @default - any length */
  array(item: S, minLength?: number): S;
  strictObject(entries: Record<string, S>): S;
  /** One of `options`, told apart by the literal `key`. */
  variant(key: string, options: readonly S[]): S;
}

/** The authorizer configuration's structure, in the constructors of one library. */
export function configSchema<S>(k: SchemaKit<S>): S {
  const httpsUrl = k.httpsUrl();
  const strings = k.array(k.text(256));
  const roleClients = k.optional(k.array(k.matching(ROLE_CLIENT)));
  const intIn = (min: number, max: number) => k.optional(k.intIn(min, max));
  const roles = k.strictObject({ realmRoles: k.optional(strings), clientRoles: k.optional(strings) });
  return k.strictObject({
    version: k.literal(1),
    issuers: k.array(
      k.variant('kind', [
        k.strictObject({
          kind: k.literal('keycloak'),
          issuer: httpsUrl,
          jwksUri: k.optional(httpsUrl),
          allowedClients: k.optional(strings),
          allowedAudiences: k.optional(strings),
          allowAccountAudience: k.optional(k.boolean()),
          algorithms: k.optional(k.array(k.picklist(ALGORITHMS), 1)),
          roleClients,
          insecureHttpIssuerForDevelopmentOnly: k.optional(k.boolean()),
        }),
        k.strictObject({
          kind: k.literal('cognito'),
          userPoolId: k.matching(USER_POOL_ID),
          region: k.matching(REGION),
          allowedClients: k.array(k.text(256), 1),
          roleClients,
        }),
      ]),
      1,
    ),
    routes: k.array(
      k.strictObject({
        method: k.picklist(METHODS),
        path: k.startsWith('/'),
        auth: k.picklist(['keycloak', 'iam', 'cognito-user-pool']),
        requirement: k.optional(
          k.strictObject({
            issuers: k.optional(strings),
            allOf: k.optional(roles),
            anyOf: k.optional(roles),
          }),
        ),
      }),
    ),
    tokenSource: k.optional(
      k.strictObject({
        header: k.optional(k.matching(HEADER)),
        cookie: k.optional(k.matching(COOKIE_OR_QUERY)),
        query: k.optional(k.matching(COOKIE_OR_QUERY)),
        allowedOrigins: k.optional(k.array(httpsUrl)),
      }),
    ),
    clockSkewSeconds: intIn(0, 60),
    responseMode: k.optional(k.picklist(['iam', 'simple'])),
    jwksTimeoutMs: intIn(100, 4000),
    verifiedCacheSize: intIn(0, 100_000),
    resultCacheTtlSeconds: intIn(0, 3600),
  });
}
