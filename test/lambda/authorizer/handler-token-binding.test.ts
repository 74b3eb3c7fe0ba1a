/**
 * The handler with sender-constrained tokens: real signed access tokens carrying `cnf` (verified by the
 * real verifier), real DPoP proofs (jose), the DynamoDB replay store on dynalite through the real SDK, and
 * real X.509 client certificates in the request context where API Gateway puts them.
 */
import { X509Certificate, createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuthorizerConfig } from '../../../common/authorizer-config';
import { validateAuthorizerConfig } from '../../../common/authorizer-config-validate';
import type { IamPolicyResponse } from '../../../lambda/authorizer/build-response';
import { createHandler } from '../../../lambda/authorizer/handler';
import { DynamoDbReplayStore, REPLAY_TABLE } from '../../../lambda/authorizer/replay-store';
import { createBindingCheck } from '../../../lambda/authorizer/token-binding';
import { createTokenVerifier } from '../../../lambda/authorizer/verify-token';
import { loopbackCertificate } from '../../../local/issuer/tls';
import type { EventKind } from '../../fixtures/apigw/events';
import { apigwEvent } from '../../fixtures/apigw/events';
import { type DpopKey, dpopKey, dpopProof } from '../../support/dpop';
import { type DynamoDbServer, startDynamoDbServer } from '../../support/dynamodb-server';
import { generateSigningKey, jwksOf, type TestKey } from '../../support/keys';
import { keycloakAccessToken } from '../../support/tokens';
import { ISSUER, ROUTES, RecordingLog } from './pipeline-fixtures';

const INVOKE = '/models/sentiment/invoke';
const INVOKE_ROUTE = 'POST /models/{modelId}/invoke';
const REPORTS_ROUTE = 'GET /admin/reports';
const BASE: Record<'rest' | 'http-2.0', string> = {
  rest: 'https://k3yg4te001.execute-api.eu-west-1.amazonaws.com/prod',
  'http-2.0': 'https://h77p4p1v20.execute-api.eu-west-1.amazonaws.com',
};
const KINDS = ['rest', 'http-2.0'] as const;
const TABLE = 'keygate-dpop-replay';

let dynamo: DynamoDbServer;
let signer: TestKey;
let client: DpopKey;
let certA: string;
let certB: string;

function thumbprint(pem: string): string {
  return createHash('sha256').update(new X509Certificate(pem).raw).digest('base64url');
}

beforeAll(async () => {
  dynamo = await startDynamoDbServer();
  await dynamo.createTable({
    TableName: TABLE,
    KeySchema: [{ AttributeName: REPLAY_TABLE.partitionKey, KeyType: 'HASH' }],
    AttributeDefinitions: [{ AttributeName: REPLAY_TABLE.partitionKey, AttributeType: 'S' }],
  });
  signer = await generateSigningKey('RS256', { kid: 'k1' });
  client = await dpopKey('ES256');
  certA = (await loopbackCertificate()).cert;
  certB = (await loopbackCertificate()).cert;
});
afterAll(() => dynamo.close());

function setup(binding: AuthorizerConfig['tokenBinding']) {
  const result = validateAuthorizerConfig({
    version: 1,
    issuers: [{ kind: 'keycloak', issuer: ISSUER, allowedClients: ['keygate-web'] }],
    routes: ROUTES,
    resultCacheTtlSeconds: 0,
    ...(binding ? { tokenBinding: binding } : {}),
  });
  if (!result.ok) throw new Error(result.errors.join('; '));
  const config = result.config;
  const log = new RecordingLog();
  const handler = createHandler({
    config: { ok: true, config },
    createVerifier: (c) => createTokenVerifier(c, { jwks: { [ISSUER]: jwksOf(signer) } }),
    binding: createBindingCheck(config, { replayStore: new DynamoDbReplayStore(TABLE, dynamo.client()) }),
    log,
  });
  return { handler, log };
}

function token(cnf?: Record<string, string>, typ = 'Bearer'): string {
  return keycloakAccessToken(signer, {
    issuer: ISSUER,
    azp: 'keygate-web',
    realmRoles: ['model-user', 'model:sentiment:invoke', 'admin'],
    scope: 'openid reports:read',
    extra: { typ, ...(cnf ? { cnf } : {}) },
  });
}

function event(
  kind: EventKind,
  o: { method: string; path: string; template: string; auth: string; dpop?: string[]; cert?: string },
): Record<string, unknown> {
  const e = apigwEvent(kind, {
    method: o.method,
    path: o.path,
    template: o.template,
    authorization: o.auth,
    headers: o.dpop ? { DPoP: o.dpop } : {},
  }) as { requestContext: Record<string, unknown> };
  if (o.cert !== undefined) {
    const clientCert = { clientCertPem: o.cert, subjectDN: 'CN=127.0.0.1', issuerDN: 'CN=127.0.0.1' };
    if (kind === 'http-2.0') e.requestContext.authentication = { clientCert };
    else e.requestContext.identity = { ...(e.requestContext.identity as object), clientCert };
  }
  return e;
}

const invoke = (kind: EventKind, auth: string, dpop?: string[]) =>
  event(kind, { method: 'POST', path: INVOKE, template: INVOKE_ROUTE.slice(5), auth, dpop });

/**
 * A refused DPoP request: on a REST API a Deny whose context carries the RFC 9449 challenge for the
 * ACCESS_DENIED gateway response (dpop-challenge.ts); elsewhere the plain 401 (`Unauthorized`).
 */
const refused = (kind: EventKind, reason: string) => ({
  effect: kind === 'rest' ? 'Deny' : 'Unauthorized',
  reason,
});

async function decide(h: ReturnType<typeof setup>, e: Record<string, unknown>) {
  try {
    const r = (await h.handler(e)) as IamPolicyResponse;
    return { effect: r.policyDocument.Statement[0]?.Effect, reason: h.log.lines.at(-1)?.reason };
  } catch (err) {
    return { effect: (err as Error).message, reason: h.log.lines.at(-1)?.reason };
  }
}

describe('createHandler with DPoP-bound tokens (replay store on DynamoDB)', () => {
  it.each(KINDS)(
    '%s: a bound token with a fresh proof is allowed; the same proof again is a replay',
    async (kind) => {
      const h = setup({ dpop: { routes: [INVOKE_ROUTE] } });
      const t = token({ jkt: client.jkt });
      const proof = await dpopProof(client, { htm: 'POST', htu: `${BASE[kind]}${INVOKE}`, accessToken: t });
      expect(await decide(h, invoke(kind, `DPoP ${t}`, [proof]))).toEqual({
        effect: 'Allow',
        reason: 'allowed',
      });
      expect(await decide(h, invoke(kind, `DPoP ${t}`, [proof]))).toEqual(
        refused(kind, 'dpop_proof_replayed'),
      );
      const fresh = await dpopProof(client, { htm: 'POST', htu: `${BASE[kind]}${INVOKE}`, accessToken: t });
      expect(await decide(h, invoke(kind, `DPoP ${t}`, [fresh]))).toEqual({
        effect: 'Allow',
        reason: 'allowed',
      });
      expect(h.log.lines.map((l) => l.decision)).toEqual(['allow', 'unauthorized', 'allow']);
    },
  );

  it.each(KINDS)('%s: refusals on a DPoP route, each with its reason', async (kind) => {
    const h = setup({ dpop: { routes: [INVOKE_ROUTE] } });
    const bound = token({ jkt: client.jkt });
    const other = await dpopKey('ES256');
    const url = `${BASE[kind]}${INVOKE}`;
    const cases: [Record<string, unknown>, string][] = [
      [invoke(kind, `DPoP ${bound}`), 'dpop_proof_missing'],
      [invoke(kind, `Bearer ${bound}`), 'dpop_proof_missing'],
      [invoke(kind, `DPoP ${bound}`, ['x.y']), 'dpop_proof_malformed'],
      [
        invoke(kind, `DPoP ${bound}`, [
          await dpopProof(other, { htm: 'POST', htu: url, accessToken: bound }),
        ]),
        'dpop_key_mismatch',
      ],
      [
        invoke(kind, `DPoP ${bound}`, [
          await dpopProof(client, { htm: 'POST', htu: `${url}x`, accessToken: bound }),
        ]),
        'dpop_proof_mismatch',
      ],
      [
        invoke(kind, `DPoP ${bound}`, [
          await dpopProof(client, { htm: 'POST', htu: url, accessToken: token() }),
        ]),
        'dpop_proof_mismatch',
      ],
      [invoke(kind, `Bearer ${token()}`), 'dpop_binding_missing'],
    ];
    for (const [e, reason] of cases) expect(await decide(h, e)).toEqual(refused(kind, reason));
    expect(h.log.lines).toHaveLength(cases.length);
  });

  it('a route outside the scope takes a plain bearer token, but never a bound token without its proof', async () => {
    const h = setup({ dpop: { routes: [INVOKE_ROUTE] } });
    const me = (auth: string) => event('rest', { method: 'GET', path: '/me', template: '/me', auth });
    expect(await decide(h, me(`Bearer ${token()}`))).toEqual({ effect: 'Allow', reason: 'allowed' });
    expect(await decide(h, me(`Bearer ${token({ jkt: client.jkt })}`))).toEqual(
      refused('rest', 'dpop_proof_missing'),
    );
  });

  it('rest: the Deny of a refused proof carries the RFC 9449 challenge, logged as unauthorized', async () => {
    const h = setup({ dpop: { routes: [INVOKE_ROUTE], algorithms: ['ES256', 'EdDSA'] } });
    const t = token({ jkt: client.jkt });
    const proof = await dpopProof(client, { htm: 'POST', htu: `${BASE.rest}${INVOKE}`, accessToken: t });
    const contexts: unknown[] = [];
    for (const e of [
      invoke('rest', `DPoP ${t}`, [proof]),
      invoke('rest', `DPoP ${t}`, [proof]),
      invoke('rest', `Bearer ${token()}`),
    ]) {
      const r = (await h.handler(e)) as IamPolicyResponse;
      contexts.push(r.policyDocument.Statement[0]?.Effect === 'Deny' ? r.context : 'allowed');
    }
    expect(contexts).toEqual([
      'allowed',
      {
        stepUp:
          'DPoP error="invalid_dpop_proof", error_description="The DPoP proof was already used", algs="ES256 EdDSA"',
        reason: 'dpop_proof_replayed',
      },
      {
        stepUp:
          'DPoP error="invalid_token", error_description="The access token is not DPoP-bound", algs="ES256 EdDSA"',
        reason: 'dpop_binding_missing',
      },
    ]);
    expect(h.log.lines.map((l) => [l.decision, l.reason])).toEqual([
      ['allow', 'allowed'],
      ['unauthorized', 'dpop_proof_replayed'],
      ['unauthorized', 'dpop_binding_missing'],
    ]);
  });

  it("Keycloak's typ DPoP counts as an access token with a cnf.jkt, and is refused without one", async () => {
    const h = setup({ dpop: { routes: [INVOKE_ROUTE] } });
    const t = token({ jkt: client.jkt, 'kc-jkt-type': 'DPoP' }, 'DPoP');
    const proof = await dpopProof(client, { htm: 'POST', htu: `${BASE.rest}${INVOKE}`, accessToken: t });
    expect(await decide(h, invoke('rest', `DPoP ${t}`, [proof]))).toEqual({
      effect: 'Allow',
      reason: 'allowed',
    });
    expect(await decide(h, invoke('rest', `DPoP ${token(undefined, 'DPoP')}`))).toEqual({
      effect: 'Unauthorized',
      reason: 'token_type_invalid',
    });
  });

  it('without tokenBinding, a sender-constrained token is refused and a plain one passes', async () => {
    const h = setup(undefined);
    const me = (auth: string) => event('rest', { method: 'GET', path: '/me', template: '/me', auth });
    expect(await decide(h, me(`Bearer ${token()}`))).toEqual({ effect: 'Allow', reason: 'allowed' });
    expect(await decide(h, me(`DPoP ${token({ jkt: client.jkt })}`))).toEqual({
      effect: 'Unauthorized',
      reason: 'binding_unsupported',
    });
    expect(await decide(h, me(`Bearer ${token({ 'x5t#S256': thumbprint(certA) })}`))).toEqual({
      effect: 'Unauthorized',
      reason: 'binding_unsupported',
    });
  });

  it('an issuer that requires DPoP refuses its unbound tokens on every route', async () => {
    const h = setup({ dpop: { issuers: [ISSUER] } });
    const me = event('http-2.0', { method: 'GET', path: '/me', template: '/me', auth: `Bearer ${token()}` });
    expect(await decide(h, me)).toEqual({ effect: 'Unauthorized', reason: 'dpop_binding_missing' });
  });

  it('HTTP API payload 1.0 (no domain name in the event) compares htu with publicBaseUrl', async () => {
    const h = setup({ dpop: { routes: [INVOKE_ROUTE], publicBaseUrl: 'https://api.example.com/v1' } });
    const t = token({ jkt: client.jkt });
    const proof = await dpopProof(client, {
      htm: 'POST',
      htu: `https://api.example.com/v1${INVOKE}`,
      accessToken: t,
    });
    expect(await decide(h, invoke('http-1.0', `DPoP ${t}`, [proof]))).toEqual({
      effect: 'Allow',
      reason: 'allowed',
    });
  });
});

describe('createHandler with certificate-bound tokens', () => {
  const reports = (kind: EventKind, auth: string, cert?: string) =>
    event(kind, { method: 'GET', path: '/admin/reports', template: '/admin/reports', auth, cert });

  it.each(KINDS)('%s: the certificate the token is bound to passes; others are refused', async (kind) => {
    const h = setup({ mtls: { routes: [REPORTS_ROUTE] } });
    const bound = `Bearer ${token({ 'x5t#S256': thumbprint(certA) })}`;
    const cases: [Record<string, unknown>, string, string][] = [
      [reports(kind, bound, certA), 'Allow', 'allowed'],
      [reports(kind, bound, certB), 'Unauthorized', 'mtls_certificate_mismatch'],
      [reports(kind, bound), 'Unauthorized', 'mtls_certificate_missing'],
      [reports(kind, bound, 'not a certificate'), 'Unauthorized', 'mtls_certificate_malformed'],
      [reports(kind, `Bearer ${token()}`, certA), 'Unauthorized', 'mtls_binding_missing'],
    ];
    for (const [e, effect, reason] of cases) expect(await decide(h, e)).toEqual({ effect, reason });
    expect(h.log.lines).toHaveLength(cases.length);
  });
});
