/**
 * The realm files the real-Keycloak suite imports at server start (`--import-realm`), written by the
 * project's own `realm:export` (exportRealm): the default stage as it ships, and a stage with Cognito
 * brokering (a confidential client for the user pool) and browser sign-in at the gateway (its own
 * confidential client with the gateway's URLs), plus its realm with upstream identity providers (OpenID
 * Connect and SAML, with their group-to-role mappers) from realm/identity-providers.ts.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { KeygateAppConfig, StageConfig } from '../../common/app-config';
import { DEFAULT_APP_CONFIG } from '../../common/app-config';
import { exportRealm } from '../../realm/export-realm';
import {
  brokeringOptions,
  oidcIdentityProvider,
  samlIdentityProvider,
  UpstreamSecret,
} from '../../realm/identity-providers';
import type { RealmRepresentation } from '../../realm/keycloak-types';
import { buildRealm } from '../../realm/realm-definition';
import { testCertificate } from '../support/https-server';

const PASSWORD_ENV = 'KEYGATE_KC_TEST_PASSWORD';
const PASSWORD = 'Keygate-import-password-1';

/** The default stage with another realm name (the issuer's last segment names the realm). */
function renamed(stage: StageConfig, realm: string): StageConfig {
  return {
    ...stage,
    keycloak: { ...stage.keycloak, issuer: `https://keycloak.example.com/realms/${realm}` },
  };
}

const dev = DEFAULT_APP_CONFIG.stages.dev;

/** With Cognito federation two issuers are trusted: every Keycloak route names those that may meet it. */
export function scopedToBothIssuers(stage: StageConfig): StageConfig {
  return {
    ...stage,
    routes: stage.routes.map((r) =>
      r.auth === 'keycloak'
        ? { ...r, requirement: { ...r.requirement, issuers: [stage.keycloak.issuer, 'cognitoFederation'] } }
        : r,
    ),
  };
}

/** A stage brokered by Cognito and signing people in at the gateway with its own confidential client. */
export const BROKERED_STAGE: StageConfig = {
  ...scopedToBothIssuers(renamed(dev, 'kg-import-brokered')),
  // Browser sign-in turns the authorizer's result cache off (credentials in a header or a cookie).
  authorizer: { ...dev.authorizer, cacheTtlSeconds: 0 },
  cognitoFederation: {
    domainPrefix: 'keygate-kc-test',
    keycloakClientId: 'keygate-cognito',
    clientSecretName: 'keygate/cognito',
    callbackUrls: ['https://app.example.com/callback'],
    logoutUrls: ['https://app.example.com/'],
  },
  browserSignIn: {
    clientId: 'keygate-gateway',
    clientSecretName: 'keygate/gateway',
    publicUrls: ['https://api.example.com/prod', 'https://abc123.execute-api.eu-west-1.amazonaws.com'],
  },
};

/** `npm run realm:export -- --config <file> --stage <name> --test-users --password-env … --direct-grants` */
function exported(stage: StageConfig, name: string): RealmRepresentation {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keygate-realm-'));
  const file = path.join(dir, 'config.json');
  const config: KeygateAppConfig = { defaultStage: name, stages: { [name]: stage } };
  fs.writeFileSync(file, JSON.stringify(config));
  try {
    const { json } = exportRealm(
      ['--config', file, '--stage', name, '--test-users', '--password-env', PASSWORD_ENV, '--direct-grants'],
      { [PASSWORD_ENV]: PASSWORD },
    );
    return JSON.parse(json) as RealmRepresentation;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The brokered stage's realm with an OpenID Connect and a SAML upstream, each mapping a group to a role. */
async function withUpstreams(): Promise<RealmRepresentation> {
  const { cert } = await testCertificate();
  const base = 'https://idp.example.com/realms/upstream/protocol/openid-connect';
  const providers = brokeringOptions([
    oidcIdentityProvider({
      alias: 'upstream-oidc',
      issuer: 'https://idp.example.com/realms/upstream',
      authorizationUrl: `${base}/auth`,
      tokenUrl: `${base}/token`,
      jwksUrl: `${base}/certs`,
      logoutUrl: `${base}/logout`,
      userInfoUrl: `${base}/userinfo`,
      clientId: 'keygate',
      clientSecret: UpstreamSecret.vault('upstream-oidc-secret'),
      groupRoles: [
        { upstream: 'ml-users', realmRole: 'model-user' },
        { upstream: 'batch', clientRole: 'keygate-api:model-user' },
      ],
    }),
    samlIdentityProvider({
      alias: 'upstream-saml',
      idpEntityId: 'https://idp.example.com/saml',
      singleSignOnServiceUrl: 'https://idp.example.com/saml/sso',
      signingCertificate: cert,
      groupRoles: [{ upstream: 'ml-users', realmRole: 'model-user' }],
    }),
  ]);
  return buildRealm(scopedToBothIssuers(renamed(BROKERED_STAGE, 'kg-import-upstreams')), {
    includeTestUsers: true,
    testUserPasswords: { alice: PASSWORD, bob: PASSWORD },
    ...providers,
  });
}

export interface ImportRealm {
  readonly file: string;
  readonly json: RealmRepresentation;
}

/** The realm files, named `<realm>-realm.json` as Keycloak's import directory expects. */
export async function importRealms(): Promise<ImportRealm[]> {
  const realms = [exported(dev, 'dev'), exported(BROKERED_STAGE, 'brokered'), await withUpstreams()];
  return realms.map((json) => ({ file: `${json.realm}-realm.json`, json }));
}
