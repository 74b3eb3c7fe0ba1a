/**
 * `keygate local` serves a stage's realm with a local one (the built-in issuer or a real Keycloak) and has
 * no Cognito user pool: the authorizer config synthesized into the assembly is rewritten to the local realm
 * (withLocalIssuer, as local-trust.ts applies it), route scopes included, and the result passes the
 * authorizer's own validation; a route scoped to the federated pool alone keeps the pool's issuer, so a
 * local token is refused there (fail closed), never let through.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { StageConfig } from '../../common/app-config';
import { COGNITO_FEDERATION_ISSUER, DEFAULT_APP_CONFIG } from '../../common/app-config';
import type { AuthorizerConfig } from '../../common/authorizer-config';
import { configChecked } from '../../common/authorizer-config';
import { validateAuthorizerConfig } from '../../common/authorizer-config-validate';
import { withLocalIssuer } from '../../local/assembly/assembly-issuer';
import { synthesizedAuthorizerConfig } from '../support/assembly-authorizer-config';

const dev = DEFAULT_APP_CONFIG.stages.dev;
const LOCAL = 'https://127.0.0.1:8443/realms/keygate';
/** Scoped to the federated pool alone: the one keycloak route of the stage left without the realm. */
const POOL_ONLY = 'GET /me';

/** The dev stage with Cognito federation; every keycloak route scoped to both issuers but POOL_ONLY. */
const federated: StageConfig = {
  ...dev,
  cognitoFederation: {
    domainPrefix: 'keygate-dev',
    keycloakClientId: 'cognito',
    clientSecretName: 'keygate/kc',
    callbackUrls: ['https://app.example.com/cb'],
  },
  routes: dev.routes.map((r) =>
    r.auth === 'keycloak'
      ? {
          ...r,
          requirement: {
            ...r.requirement,
            issuers:
              `${r.method} ${r.path}` === POOL_ONLY
                ? [COGNITO_FEDERATION_ISSUER]
                : [dev.keycloak.issuer, COGNITO_FEDERATION_ISSUER],
          },
        }
      : r,
  ),
};

let deployed: AuthorizerConfig;
let local: AuthorizerConfig;

beforeAll(async () => {
  deployed = await synthesizedAuthorizerConfig(federated);
  local = withLocalIssuer(deployed, dev.keycloak.issuer, LOCAL);
});

describe('the assembly authorizer config rewritten to the local realm', () => {
  it('names the local issuer where the stage names its realm, and counts the API client roles only', () => {
    const keycloakRoutes = local.routes.filter((r) => r.auth === 'keycloak');
    const scoped = keycloakRoutes.filter((r) => `${r.method} ${r.path}` !== POOL_ONLY);
    expect(scoped.length).toBe(dev.routes.filter((r) => r.auth === 'keycloak').length - 1);
    expect(scoped.length).toBeGreaterThan(2);
    for (const r of scoped) {
      expect(r.requirement?.issuers).toHaveLength(2);
      expect(r.requirement?.issuers?.[0]).toBe(LOCAL);
      expect(r.requirement?.issuers).not.toContain(dev.keycloak.issuer);
    }
    const realms = local.issuers.filter((i) => i.kind === 'keycloak');
    expect(realms).toEqual([
      expect.objectContaining({ issuer: LOCAL, roleClients: [dev.keycloak.apiClientId] }),
    ]);
    expect(JSON.stringify(local)).not.toContain(dev.keycloak.issuer);
    // Both pass the authorizer's own validation: the pool's id (a `Ref` in the template) is read as a
    // stand-in of Cognito's form in the stack's Region, which no local issuer signs for.
    const issues = (c: AuthorizerConfig) => {
      const result = validateAuthorizerConfig(c);
      return result.ok ? [] : result.issues.map((i) => i.path);
    };
    expect(issues(deployed)).toEqual([]);
    expect(issues(local)).toEqual([]);
    expect(local.issuers[1]).toMatchObject({
      kind: 'cognito',
      userPoolId: expect.stringMatching(/^[a-z]{2}-[a-z]+-\d_local[A-Za-z0-9]+$/),
    });
  });

  it("carries, as deployed, the digest of what the construct checked: the pool's values resolved, scopes included", () => {
    // The construct took the digest with stand-ins for the pool's id, Region and clients; the deployed
    // values (here as the assembly reader resolves the `Ref`s) leave it matching, so the cold start skips
    // the checks of the content and runs the Cognito issuer's own.
    expect(deployed.configDigest).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(deployed)).not.toContain('Pool0000');
    expect(configChecked({ ...deployed })).toBe(true);
    // The local rewrite names another issuer: other content, checked in full (and accepted above).
    expect(configChecked({ ...local })).toBe(false);
  });

  it('keeps a route scoped to the federated pool alone on the pool, which the local realm cannot sign for', () => {
    const [method, path] = POOL_ONLY.split(' ');
    const route = local.routes.find((r) => r.method === method && r.path === path);
    const before = deployed.routes.find((r) => r.method === method && r.path === path);
    expect(route?.requirement?.issuers).toEqual(before?.requirement?.issuers);
    expect(route?.requirement?.issuers).toHaveLength(1);
    expect(route?.requirement?.issuers).not.toContain(LOCAL);
  });
});
