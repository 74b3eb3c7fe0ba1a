/**
 * Step-up against a real Keycloak, with the realm as the realm definition writes it for the default
 * stage (realm/step-up-flow.ts through realm:apply): the ACR-to-LoA mapping (`acr.loa.map`: "1" 1,
 * "2" 2), the step-up browser flow (level 1: username and password, amr `pwd`; level 2: a one-time
 * password, amr `otp`) and the AMR mapper on the people client. People sign in through Keycloak's own
 * forms over HTTP; the first level-2 sign-in sets up the OTP credential (Keycloak's CONFIGURE_TOTP
 * required action, answered with a code computed from the secret the page holds), later ones answer
 * the OTP form. The authorizer bundle, configured as `cdk synth` writes it plus a route that needs
 * level 2 within 15 minutes and one that needs `amr` otp, refuses the password-only token on both and
 * allows the OTP one.
 *
 * A second realm is created from the whole realm representation (the import format, `kc.sh import`),
 * to show the same definition works as an import too.
 */
import { randomBytes } from 'node:crypto';
import type KeycloakAdminClient from '@keycloak/keycloak-admin-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuthorizerConfig } from '../../common/authorizer-config';
import type { StageConfig } from '../../common/app-config';
import { buildRealm } from '../../realm/realm-definition';
import { adminClient, keycloakServer, synthesizedConfigFor } from './keycloak-server';
import type { AuthorizerProcess, CountingProxy, TokenResponse } from './support';
import {
  applyStage,
  authorizeUrl,
  decodePayload,
  exchangeCode,
  FormAgent,
  parseForm,
  pkce,
  REDIRECT_URI,
  startAuthorizer,
  startCountingProxy,
  TEST_PASSWORD,
  testStage,
} from './support';
import { totp, totpCounter } from './totp';

const REALM = 'kg-step-up';
const IMPORTED_REALM = 'kg-step-up-import';
const FINE_TUNE = {
  method: 'POST',
  path: '/models/sentiment/fine-tune',
  template: '/models/{modelId}/fine-tune',
};
const EXPORT = { method: 'POST', path: '/models/sentiment/export', template: '/models/{modelId}/export' };

/** The user's OTP secret once set up, and the last time step a code was used for (Keycloak refuses reuse). */
const otp: { secret?: string; lastCounter: number } = { lastCounter: 0 };

/** A code for a time step not used yet: now, or the next one (inside Keycloak's look-ahead window of 1). */
function freshCode(): string {
  const counter = Math.max(totpCounter(), otp.lastCounter + 1);
  if (counter > totpCounter() + 1) throw new Error('two OTP sign-ins within one time step: wait');
  otp.lastCounter = counter;
  return totp(otp.secret!, counter);
}

/**
 * Signs in through Keycloak's forms, asking for `acrValues`: answers the username and password form,
 * sets up the OTP credential on Keycloak's CONFIGURE_TOTP page, answers the OTP form. Bounded.
 */
async function signIn(issuer: string, clientId: string, acrValues?: string): Promise<TokenResponse> {
  const agent = new FormAgent();
  const { verifier, challenge } = pkce();
  const state = randomBytes(12).toString('base64url');
  const extra: Record<string, string> = acrValues ? { acr_values: acrValues } : {};
  let page = await agent.go(authorizeUrl(issuer, clientId, challenge, state, extra), {}, REDIRECT_URI);
  for (let forms = 0; page.html !== undefined && forms < 4; forms++) {
    const { fields } = parseForm(page.html, page.url);
    let answer: Record<string, string>;
    if ('totpSecret' in fields) {
      // CONFIGURE_TOTP (login-config-totp): the secret is a hidden field; a code from it completes set-up.
      otp.secret = fields.totpSecret;
      answer = { totp: freshCode(), userLabel: 'keygate-test' };
    } else if ('otp' in fields) answer = { otp: freshCode() };
    else answer = { username: 'alice', password: TEST_PASSWORD };
    page = await agent.submit(page.html, page.url, answer, REDIRECT_URI);
  }
  if (page.html !== undefined) throw new Error(`sign-in did not come back:\n${page.html.slice(0, 2_000)}`);
  return exchangeCode(issuer, clientId, page.url, state, verifier);
}

describe('step-up against a real Keycloak, realm from the realm definition', () => {
  let admin: KeycloakAdminClient;
  let proxy: CountingProxy;
  let authorizer: AuthorizerProcess;
  let stage: StageConfig;
  let issuer: string;
  let passwordOnly: string;

  beforeAll(async () => {
    const kc = keycloakServer();
    admin = await adminClient();
    proxy = await startCountingProxy(kc.url);
    stage = testStage(kc.url, REALM, `${proxy.url}/realms/${REALM}/protocol/openid-connect/certs`);
    issuer = stage.keycloak.issuer;
    // The default stage's keycloak.acrLoaMap and keycloak.stepUpFlow, applied like `npm run realm:apply`.
    await applyStage(admin, stage);
    // The synthesized configuration (the realm's acrLoaMap included), with two step-up routes.
    const config = JSON.parse(synthesizedConfigFor(stage)) as Omit<AuthorizerConfig, 'routes'> & {
      routes: unknown[];
    };
    expect(config.issuers.map((i) => (i.kind === 'keycloak' ? i.acrLoaMap : undefined))).toEqual([
      { '1': 1, '2': 2 },
    ]);
    config.routes.push(
      {
        method: FINE_TUNE.method,
        path: FINE_TUNE.template,
        auth: 'keycloak',
        requirement: { stepUp: { minLoa: 2, maxAgeSeconds: 900 } },
      },
      {
        method: EXPORT.method,
        path: EXPORT.template,
        auth: 'keycloak',
        requirement: { stepUp: { amr: ['otp'] } },
      },
    );
    authorizer = await startAuthorizer(JSON.stringify(config), proxy.ca);
  });
  afterAll(async () => {
    await authorizer?.stop();
    await proxy?.close();
  });

  const decide = async (token: string, route: typeof FINE_TUNE) => {
    const d = await authorizer.decide(token, route.method, route.path, route.template);
    return { decision: d.decision, reason: d.reason };
  };

  it('a password sign-in (acr 1, amr pwd) is refused on the level-2 route and on the otp route', async () => {
    passwordOnly = (await signIn(issuer, stage.keycloak.peopleClientId)).access_token;
    expect(decodePayload(passwordOnly)).toMatchObject({ acr: '1', amr: ['pwd'] });
    expect(typeof decodePayload(passwordOnly).auth_time).toBe('number');
    expect(await decide(passwordOnly, FINE_TUNE)).toEqual({ decision: 'deny', reason: 'step_up_required' });
    expect(await decide(passwordOnly, EXPORT)).toEqual({ decision: 'deny', reason: 'step_up_required' });
  });

  it('the first acr_values=2 sign-in sets up the OTP credential through CONFIGURE_TOTP and reaches level 2', async () => {
    const token = (await signIn(issuer, stage.keycloak.peopleClientId, '2')).access_token;
    expect(otp.secret).toBeTypeOf('string');
    expect(decodePayload(token)).toMatchObject({ acr: '2' });
    expect(await decide(token, FINE_TUNE)).toEqual({ decision: 'allow', reason: 'allowed' });
  });

  it('a later acr_values=2 sign-in answers the OTP form: acr 2, amr pwd and otp, both routes allowed', async () => {
    const token = (await signIn(issuer, stage.keycloak.peopleClientId, '2')).access_token;
    const claims = decodePayload(token);
    expect(claims).toMatchObject({ acr: '2' });
    expect([...(claims.amr as string[])].sort()).toEqual(['otp', 'pwd']);
    expect(await decide(token, FINE_TUNE)).toEqual({ decision: 'allow', reason: 'allowed' });
    expect(await decide(token, EXPORT)).toEqual({ decision: 'allow', reason: 'allowed' });
    // The password-only token still falls short of the otp route.
    expect(await decide(passwordOnly, EXPORT)).toEqual({ decision: 'deny', reason: 'step_up_required' });
  });

  it('the same definition imported as a whole realm signs in through the level flow (amr pwd)', async () => {
    const imported = testStage(keycloakServer().url, IMPORTED_REALM);
    await admin.realms.create(
      buildRealm(imported, {
        includeTestUsers: true,
        testUserPasswords: { alice: TEST_PASSWORD, bob: TEST_PASSWORD },
      }),
    );
    const realm = await admin.realms.findOne({ realm: IMPORTED_REALM });
    expect(realm?.browserFlow).toBe('keygate step-up');
    const token = (await signIn(imported.keycloak.issuer, imported.keycloak.peopleClientId)).access_token;
    expect(decodePayload(token)).toMatchObject({ acr: '1', amr: ['pwd'] });
  });
});
