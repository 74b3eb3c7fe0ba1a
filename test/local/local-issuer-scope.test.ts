/**
 * The local stack runs one local issuer in place of the stage's realm and no Cognito pool: a stage's
 * issuer scopes are rewritten to it, and the result passes the authorizer's own validation.
 */
import { describe, expect, it } from 'vitest';
import type { StageConfig } from '../../common/app-config';
import { COGNITO_FEDERATION_ISSUER, DEFAULT_APP_CONFIG } from '../../common/app-config';
import { validateAuthorizerConfig } from '../../common/authorizer-config';
import { localAuthorizerConfig } from '../../local/gateway/local-stack';

const dev = DEFAULT_APP_CONFIG.stages.dev;
const LOCAL = 'https://127.0.0.1:8443/realms/keygate';

function federatedStage(issuers: string[]): StageConfig {
  return {
    ...dev,
    cognitoFederation: {
      domainPrefix: 'keygate-dev',
      keycloakClientId: 'cognito',
      clientSecretName: 'keygate/kc',
      callbackUrls: ['https://app.example.com/cb'],
    },
    routes: dev.routes.map((r) =>
      r.auth === 'keycloak' ? { ...r, requirement: { ...r.requirement, issuers } } : r,
    ),
  };
}

describe('localAuthorizerConfig and issuer scopes', () => {
  it('names the local issuer where the stage names its realm, and counts the API client roles only', () => {
    const config = localAuthorizerConfig(
      federatedStage([dev.keycloak.issuer, COGNITO_FEDERATION_ISSUER]),
      LOCAL,
    );
    const keycloakRoutes = dev.routes.filter((r) => r.auth === 'keycloak').length;
    expect(keycloakRoutes).toBeGreaterThan(2);
    expect(config.routes.filter((r) => r.auth === 'keycloak').map((r) => r.requirement?.issuers)).toEqual(
      Array.from({ length: keycloakRoutes }, () => [LOCAL]),
    );
    expect(config.issuers).toEqual([
      expect.objectContaining({ issuer: LOCAL, roleClients: ['keygate-api'] }),
    ]);
    expect(validateAuthorizerConfig(config)).toMatchObject({ ok: true });
  });

  it('refuses a route scoped to the federated pool alone, which the local stack cannot run', () => {
    expect(() => localAuthorizerConfig(federatedStage([COGNITO_FEDERATION_ISSUER]), LOCAL)).toThrow(
      'GET /me: the local stack has no Cognito user pool, and this route is scoped to cognitoFederation alone',
    );
  });
});
