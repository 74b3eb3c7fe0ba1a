/**
 * DPoP-bound access tokens from the real Keycloak (26.x supports DPoP without a feature flag since 26.4:
 * https://www.keycloak.org/2025/10/dpop-support-26-4), pushed through the authorizer handler with the
 * real verifier (keys fetched over https from the server's certs endpoint) and the token-binding step.
 * The client is switched to "Require DPoP bound tokens" (client attribute `dpop.bound.access.tokens`).
 */
import type KeycloakAdminClient from '@keycloak/keycloak-admin-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuthorizerConfig } from '../../common/authorizer-config';
import { validateAuthorizerConfig } from '../../common/authorizer-config-validate';
import type { IamPolicyResponse } from '../../lambda/authorizer/build-response';
import { createHandler } from '../../lambda/authorizer/handler';
import { MemoryReplayStore } from '../../lambda/authorizer/replay-store';
import { createBindingCheck } from '../../lambda/authorizer/token-binding';
import { createTokenVerifier } from '../../lambda/authorizer/verify-token';
import { apigwEvent } from '../fixtures/apigw/events';
import { type DpopKey, dpopKey, dpopProof } from '../support/dpop';
import { RecordingLog } from '../lambda/authorizer/pipeline-fixtures';
import { adminClient, keycloakServer } from './keycloak-server';
import type { CountingProxy } from './support';
import { applyStage, decodePayload, startCountingProxy, testStage } from './support';

const REALM = 'kg-dpop';
const CLIENT = 'batch-scorer';
const BASE = 'https://api.example.com';

describe('DPoP-bound tokens from the real Keycloak through the authorizer', () => {
  let admin: KeycloakAdminClient;
  let proxy: CountingProxy;
  let issuer: string;
  let secret: string;
  let key: DpopKey;
  let config: AuthorizerConfig;

  beforeAll(async () => {
    const kc = keycloakServer();
    admin = await adminClient();
    proxy = await startCountingProxy(kc.url);
    const stage = testStage(kc.url, REALM, `${proxy.url}/realms/${REALM}/protocol/openid-connect/certs`);
    issuer = stage.keycloak.issuer;
    await applyStage(admin, stage);
    const [client] = await admin.clients.find({ realm: REALM, clientId: CLIENT });
    await admin.clients.update(
      { realm: REALM, id: client.id! },
      { ...client, attributes: { ...client.attributes, 'dpop.bound.access.tokens': 'true' } },
    );
    secret = (await admin.clients.getClientSecret({ realm: REALM, id: client.id! })).value!;
    key = await dpopKey('ES256');
    const result = validateAuthorizerConfig({
      version: 1,
      issuers: [
        {
          kind: 'keycloak',
          issuer,
          jwksUri: stage.keycloak.jwksUri,
          allowedClients: [CLIENT],
          insecureHttpIssuerForDevelopmentOnly: true,
        },
      ],
      routes: [{ method: 'GET', path: '/me', auth: 'keycloak' }],
      resultCacheTtlSeconds: 0,
      tokenBinding: { dpop: { routes: ['GET /me'], publicBaseUrl: BASE } },
    });
    if (!result.ok) throw new Error(result.errors.join('; '));
    config = result.config;
  });
  afterAll(async () => {
    await proxy?.close();
  });

  /** Client credentials with (or without) a DPoP proof for the token endpoint. */
  async function tokenRequest(
    withProof: boolean,
  ): Promise<{ status: number; body: Record<string, unknown> }> {
    const endpoint = `${issuer}/protocol/openid-connect/token`;
    const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
    if (withProof) headers.DPoP = await dpopProof(key, { htm: 'POST', htu: endpoint, accessToken: null });
    const res = await fetch(endpoint, {
      method: 'POST',
      headers,
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: CLIENT,
        client_secret: secret,
      }),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }

  function handler() {
    const log = new RecordingLog();
    const h = createHandler({
      config: { ok: true, config },
      createVerifier: (c) => createTokenVerifier(c, { requestOptions: { ca: proxy.ca } }),
      binding: createBindingCheck(config, { replayStore: new MemoryReplayStore() }),
      log,
    });
    const decide = async (token: string, proofs: string[]) => {
      const e = apigwEvent('rest', {
        method: 'GET',
        path: '/me',
        template: '/me',
        authorization: `DPoP ${token}`,
        headers: proofs.length ? { DPoP: proofs } : {},
      });
      try {
        const r = (await h(e)) as IamPolicyResponse;
        return { effect: r.policyDocument.Statement[0]?.Effect, reason: log.lines.at(-1)?.reason };
      } catch (err) {
        return { effect: (err as Error).message, reason: log.lines.at(-1)?.reason };
      }
    };
    return { decide, log };
  }

  it('Keycloak refuses a token request without a proof once the client requires DPoP', async () => {
    const r = await tokenRequest(false);
    expect(r.status).toBe(400);
  });

  it('issues a DPoP token bound to the proof key (cnf.jkt = its RFC 7638 thumbprint)', async () => {
    const r = await tokenRequest(true);
    expect(r.status).toBe(200);
    expect(r.body.token_type).toBe('DPoP');
    const claims = decodePayload(r.body.access_token as string);
    // Keycloak 26.7 types the token `DPoP` and marks the binding with a `kc-jkt-type` member of its own.
    expect(claims.typ).toBe('DPoP');
    expect(claims.cnf).toEqual({ jkt: key.jkt, 'kc-jkt-type': 'DPoP' });
  });

  // A REST API refuses with a Deny that carries the RFC 9449 challenge (lambda/authorizer/dpop-challenge.ts).
  it('a fresh proof passes; the replayed proof, a proof of another key, and none are refused', async () => {
    const token = (await tokenRequest(true)).body.access_token as string;
    const { decide, log } = handler();
    const url = `${BASE}/me`;
    const proof = await dpopProof(key, { htm: 'GET', htu: url, accessToken: token });
    expect(await decide(token, [proof])).toEqual({ effect: 'Allow', reason: 'allowed' });
    expect(await decide(token, [proof])).toEqual({ effect: 'Deny', reason: 'dpop_proof_replayed' });
    const stranger = await dpopKey('ES256');
    const foreign = await dpopProof(stranger, { htm: 'GET', htu: url, accessToken: token });
    expect(await decide(token, [foreign])).toEqual({ effect: 'Deny', reason: 'dpop_key_mismatch' });
    const wrongMethod = await dpopProof(key, { htm: 'POST', htu: url, accessToken: token });
    expect(await decide(token, [wrongMethod])).toEqual({
      effect: 'Deny',
      reason: 'dpop_proof_mismatch',
    });
    expect(await decide(token, [])).toEqual({ effect: 'Deny', reason: 'dpop_proof_missing' });
    const again = await dpopProof(key, { htm: 'GET', htu: url, accessToken: token });
    expect(await decide(token, [again])).toEqual({ effect: 'Allow', reason: 'allowed' });
    expect(log.lines).toHaveLength(6);
  });
});
