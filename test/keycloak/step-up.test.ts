/**
 * Step-up against a real Keycloak: the realm gets an ACR-to-LoA mapping (`acr.loa.map`: silver 1, gold 2)
 * and a step-up browser flow (level 1: username and password; level 2: the password again, a second
 * authenticator that needs no device), both through the admin API (realm/step-up-flow.ts). People sign
 * in through Keycloak's own forms over HTTP; the authorizer bundle, configured as `cdk synth` writes it
 * plus the issuer's acrLoaMap and a route that needs level 2, refuses the level-1 token and allows the
 * level-2 one.
 */
import { randomBytes } from 'node:crypto';
import type KeycloakAdminClient from '@keycloak/keycloak-admin-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuthorizerConfig } from '../../common/authorizer-config';
import type { StageConfig } from '../../common/app-config';
import { applyStepUpFlow } from '../../realm/step-up-flow';
import { adminClient, keycloakServer, synthesizedConfigFor } from './keycloak-server';
import type { AuthorizerProcess, CountingProxy, TokenResponse } from './support';
import {
  applyStage,
  authorizeUrl,
  decodePayload,
  exchangeCode,
  FormAgent,
  pkce,
  REDIRECT_URI,
  startAuthorizer,
  startCountingProxy,
  TEST_PASSWORD,
  testStage,
} from './support';

const REALM = 'kg-step-up';
const ACR_LOA_MAP = { silver: 1, gold: 2 };
const FINE_TUNE = {
  method: 'POST',
  path: '/models/sentiment/fine-tune',
  template: '/models/{modelId}/fine-tune',
};

/** Signs in through Keycloak's forms, answering every form with the password, asking for `acrValues`. */
async function signIn(issuer: string, clientId: string, acrValues?: string): Promise<TokenResponse> {
  const agent = new FormAgent();
  const { verifier, challenge } = pkce();
  const state = randomBytes(12).toString('base64url');
  const extra: Record<string, string> = acrValues ? { acr_values: acrValues } : {};
  let page = await agent.go(authorizeUrl(issuer, clientId, challenge, state, extra), {}, REDIRECT_URI);
  // Level 1 shows username and password; level 2 asks for the password once more. Bounded.
  for (let forms = 0; page.html !== undefined && forms < 3; forms++) {
    page = await agent.submit(
      page.html,
      page.url,
      { username: 'alice', password: TEST_PASSWORD },
      REDIRECT_URI,
    );
  }
  if (page.html !== undefined) throw new Error(`sign-in did not come back:\n${page.html.slice(0, 2_000)}`);
  return exchangeCode(issuer, clientId, page.url, state, verifier);
}

describe('step-up against a real Keycloak', () => {
  let admin: KeycloakAdminClient;
  let proxy: CountingProxy;
  let authorizer: AuthorizerProcess;
  let stage: StageConfig;
  let issuer: string;

  beforeAll(async () => {
    const kc = keycloakServer();
    admin = await adminClient();
    proxy = await startCountingProxy(kc.url);
    stage = testStage(kc.url, REALM, `${proxy.url}/realms/${REALM}/protocol/openid-connect/certs`);
    issuer = stage.keycloak.issuer;
    await applyStage(admin, stage);
    await applyStepUpFlow(admin, REALM, {
      acrLoaMap: ACR_LOA_MAP,
      levels: [
        { level: 1, authenticator: 'auth-username-password-form' },
        { level: 2, authenticator: 'auth-password-form' },
      ],
    });
    // The synthesized configuration, with the realm's levels and a route that needs level 2 in 15 minutes.
    const config = JSON.parse(synthesizedConfigFor(stage)) as Omit<AuthorizerConfig, 'issuers' | 'routes'> & {
      issuers: Record<string, unknown>[];
      routes: unknown[];
    };
    config.issuers[0].acrLoaMap = ACR_LOA_MAP;
    config.routes.push({
      method: 'POST',
      path: FINE_TUNE.template,
      auth: 'keycloak',
      requirement: { stepUp: { minLoa: 2, maxAgeSeconds: 900 } },
    });
    authorizer = await startAuthorizer(JSON.stringify(config), proxy.ca);
  });
  afterAll(async () => {
    await authorizer?.stop();
    await proxy?.close();
  });

  it('a level-1 sign-in (acr silver) is refused on the level-2 route with step_up_required', async () => {
    const token = (await signIn(issuer, stage.keycloak.peopleClientId)).access_token;
    expect(decodePayload(token)).toMatchObject({ acr: 'silver' });
    expect(typeof decodePayload(token).auth_time).toBe('number');
    const d = await authorizer.decide(token, FINE_TUNE.method, FINE_TUNE.path, FINE_TUNE.template);
    expect({ decision: d.decision, reason: d.reason }).toEqual({
      decision: 'deny',
      reason: 'step_up_required',
    });
  });

  it('a sign-in that asked for acr_values=gold goes through level 2 and is allowed', async () => {
    const token = (await signIn(issuer, stage.keycloak.peopleClientId, 'gold')).access_token;
    expect(decodePayload(token)).toMatchObject({ acr: 'gold' });
    const d = await authorizer.decide(token, FINE_TUNE.method, FINE_TUNE.path, FINE_TUNE.template);
    expect({ decision: d.decision, reason: d.reason }).toEqual({ decision: 'allow', reason: 'allowed' });
  });
});
