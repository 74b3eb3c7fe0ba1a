/**
 * Certificate-bound access tokens (RFC 8705) from the real Keycloak, pushed through the authorizer handler
 * with the real verifier (keys fetched over https from the server's certs endpoint) and the token-binding
 * step. The suite's server listens on HTTPS with client auth "request" (scripts/keycloak.ts,
 * https://www.keycloak.org/server/mutual-tls); the client is switched to "OAuth 2.0 Mutual TLS Certificate
 * Bound Access Tokens Enabled" (client attribute `tls.client.certificate.bound.access.tokens`,
 * https://github.com/keycloak/keycloak/issues/17790 names it), so a token requested over a TLS connection
 * with a client certificate carries `cnf["x5t#S256"]`, the certificate's thumbprint.
 *
 * The client certificate reaches the authorizer as API Gateway hands it over after mutual TLS on a custom
 * domain: PEM in the request context (lambda/authorizer/mtls-binding.ts).
 */
import { createHash, X509Certificate } from 'node:crypto';
import { request } from 'node:https';
import type KeycloakAdminClient from '@keycloak/keycloak-admin-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuthorizerConfig } from '../../common/authorizer-config';
import { validateAuthorizerConfig } from '../../common/authorizer-config-validate';
import type { IamPolicyResponse } from '../../lambda/authorizer/build-response';
import { createHandler } from '../../lambda/authorizer/handler';
import { createBindingCheck } from '../../lambda/authorizer/token-binding';
import { createTokenVerifier } from '../../lambda/authorizer/verify-token';
import type { EventKind } from '../fixtures/apigw/events';
import { apigwEvent } from '../fixtures/apigw/events';
import { RecordingLog } from '../lambda/authorizer/pipeline-fixtures';
import type { Pki } from '../support/test-pki';
import { issueCertificate } from '../support/test-pki';
import { adminClient, keycloakServer } from './keycloak-server';
import { applyStage, decodePayload, testStage } from './support';

const REALM = 'kg-mtls';
const CLIENT = 'batch-scorer';

interface TokenReply {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

describe('certificate-bound tokens from the real Keycloak through the authorizer', () => {
  let admin: KeycloakAdminClient;
  let httpsUrl: string;
  let ca: Pki;
  let issuer: string;
  let secret: string;
  let certA: Pki;
  let certB: Pki;
  let config: AuthorizerConfig;

  beforeAll(async () => {
    const kc = keycloakServer();
    if (!kc.mtls) {
      throw new Error(
        'this test needs the HTTPS listener with client-certificate requests that the suite starts; ' +
          'a server named by KEYCLOAK_URL has none (unset KEYCLOAK_URL)',
      );
    }
    ({ httpsUrl, ca } = kc.mtls);
    admin = await adminClient();
    // The realm is made over the admin API (http); its tokens are requested over https, so their `iss` is
    // the https URL (a dev server without a hostname names itself after the request).
    await applyStage(admin, testStage(kc.url, REALM));
    issuer = `${httpsUrl}/realms/${REALM}`;
    const [client] = await admin.clients.find({ realm: REALM, clientId: CLIENT });
    await admin.clients.update(
      { realm: REALM, id: client.id! },
      {
        ...client,
        attributes: { ...client.attributes, 'tls.client.certificate.bound.access.tokens': 'true' },
      },
    );
    secret = (await admin.clients.getClientSecret({ realm: REALM, id: client.id! })).value!;
    [certA, certB] = await Promise.all([
      issueCertificate(ca, `${CLIENT}-a`, 'client'),
      issueCertificate(ca, `${CLIENT}-b`, 'client'),
    ]);
    const result = validateAuthorizerConfig({
      version: 1,
      issuers: [
        {
          kind: 'keycloak',
          issuer,
          jwksUri: `${issuer}/protocol/openid-connect/certs`,
          allowedClients: [CLIENT],
        },
      ],
      routes: [{ method: 'GET', path: '/me', auth: 'keycloak' }],
      resultCacheTtlSeconds: 0,
      tokenBinding: { mtls: { routes: ['GET /me'] } },
    });
    if (!result.ok) throw new Error(result.errors.join('; '));
    config = result.config;
  });
  afterAll(async () => {
    await admin?.realms.del({ realm: REALM }).catch(() => undefined);
  });

  /** Client credentials over the HTTPS listener, with or without a client certificate on the connection. */
  function tokenRequest(cert: Pki | undefined): Promise<TokenReply> {
    const url = new URL(`${issuer}/protocol/openid-connect/token`);
    const body = new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: CLIENT,
      client_secret: secret,
    }).toString();
    return new Promise((resolve, reject) => {
      const req = request(
        {
          host: url.hostname,
          port: url.port,
          path: url.pathname,
          method: 'POST',
          ca: ca.cert,
          ...(cert ? { cert: cert.cert, key: cert.key } : {}),
          // A fresh connection per request: the certificate belongs to the TLS session.
          agent: false,
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (text += chunk));
          res.on('end', () => {
            try {
              resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Record<string, unknown> });
            } catch (e) {
              reject(
                new Error(`token endpoint answered ${res.statusCode}: ${text.slice(0, 500)}`, { cause: e }),
              );
            }
          });
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  function handler() {
    const log = new RecordingLog();
    const h = createHandler({
      config: { ok: true, config },
      createVerifier: (c) => createTokenVerifier(c, { requestOptions: { ca: ca.cert } }),
      binding: createBindingCheck(config),
      log,
    });
    const decide = async (kind: EventKind, token: string, cert: Pki | undefined) => {
      const e = apigwEvent(kind, {
        method: 'GET',
        path: '/me',
        template: '/me',
        authorization: `Bearer ${token}`,
      }) as { requestContext: Record<string, unknown> };
      if (cert) {
        // Where API Gateway puts the certificate of a mutual-TLS custom domain, per payload shape.
        const clientCert = { clientCertPem: cert.cert, subjectDN: `CN=${CLIENT}`, issuerDN: 'CN=CA' };
        if (kind === 'http-2.0') e.requestContext.authentication = { clientCert };
        else e.requestContext.identity = { ...(e.requestContext.identity as object), clientCert };
      }
      try {
        const r = await h(e);
        const effect =
          'isAuthorized' in r
            ? r.isAuthorized
              ? 'Allow'
              : 'Deny'
            : (r as IamPolicyResponse).policyDocument.Statement[0]?.Effect;
        return { effect, reason: log.lines.at(-1)?.reason };
      } catch (err) {
        return { effect: (err as Error).message, reason: log.lines.at(-1)?.reason };
      }
    };
    return { decide, log };
  }

  it('binds the token to the certificate of the TLS connection (cnf["x5t#S256"] = its SHA-256)', async () => {
    const r = await tokenRequest(certA);
    expect(r.status).toBe(200);
    expect(r.body.token_type).toBe('Bearer');
    const claims = decodePayload(r.body.access_token as string);
    const thumbprint = createHash('sha256').update(new X509Certificate(certA.cert).raw).digest('base64url');
    expect(claims.iss).toBe(issuer);
    expect(claims.cnf).toEqual({ 'x5t#S256': thumbprint });
  });

  it('refuses to issue a bound token without a client certificate on the connection', async () => {
    const r = await tokenRequest(undefined);
    expect(r.status).toBe(400);
    expect(r.body.error).toBe('invalid_request');
  });

  it.each<EventKind>(['rest', 'http-2.0'])(
    '%s: passes with the same certificate; refused with another certificate and with none',
    async (kind) => {
      const token = (await tokenRequest(certA)).body.access_token as string;
      const { decide, log } = handler();
      expect(await decide(kind, token, certA)).toEqual({ effect: 'Allow', reason: 'allowed' });
      expect(await decide(kind, token, certB)).toEqual({
        effect: 'Unauthorized',
        reason: 'mtls_certificate_mismatch',
      });
      expect(await decide(kind, token, undefined)).toEqual({
        effect: 'Unauthorized',
        reason: 'mtls_certificate_missing',
      });
      // A token bound to the other certificate passes with that one only.
      const tokenB = (await tokenRequest(certB)).body.access_token as string;
      expect(await decide(kind, tokenB, certB)).toEqual({ effect: 'Allow', reason: 'allowed' });
      expect(await decide(kind, tokenB, certA)).toEqual({
        effect: 'Unauthorized',
        reason: 'mtls_certificate_mismatch',
      });
      expect(log.lines).toHaveLength(5);
    },
  );
});
