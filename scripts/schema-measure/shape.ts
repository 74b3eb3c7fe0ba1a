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
