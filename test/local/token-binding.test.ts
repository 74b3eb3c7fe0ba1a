/**
 * DPoP through the synthesized stage, served from its assembly: the stage's `tokenBinding` block as
 * `cdk synth` reads it, the built-in issuer signs a token of Keycloak's DPoP shape (`typ: "DPoP"`,
 * `cnf.jkt`, `kc-jkt-type`), the client signs proofs with jose for the gateway's own URL, and the
 * authorizer function checks them against its DPoP replay table in the local DynamoDB stand-in: a fresh
 * proof passes, the same proof again is refused. A REST API answers a
 * refusal with the ACCESS_DENIED gateway response (403) carrying the RFC 9449 challenge as
 * WWW-Authenticate; an HTTP API, which has no gateway responses, with a plain 401.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StageConfig } from '../../common/app-config';
import { DEFAULT_APP_CONFIG } from '../../common/app-config';
import { AUTHORIZER_CONFIG_ENV } from '../../common/authorizer-config';
import type { ReasonCode } from '../../common/reason-codes';
import { REPLAY_TABLE } from '../../common/token-binding';
import { userTokens } from '../../local/callers';
import type { ApiType } from '../../local/gateway/api-events';
import { request } from '../../local/http/request';
import type { ServedStage } from '../../local/serve-stage';
import { serveStage } from '../../local/serve-stage';
import type { DpopKey } from '../support/dpop';
import { dpopKey, dpopProof } from '../support/dpop';

const STAGE: StageConfig = {
  ...DEFAULT_APP_CONFIG.stages.dev,
  authorizer: { responseMode: 'iam' },
  tokenBinding: { dpop: { routes: ['GET /me'] } },
};

describe.each<ApiType>(['rest', 'http'])('DPoP through the local %s API', (apiType) => {
  let served: ServedStage;
  let url: string;
  let key: DpopKey;
  let token: string;
  const reasons: (ReasonCode | undefined)[] = [];

  beforeAll(async () => {
    served = await serveStage({
      stage: STAGE,
      apiKinds: [apiType],
      buildLambdas: false,
      onRequest: (_api, r) => reasons.push(r.authorizerReason as ReasonCode | undefined),
    });
    url = served.api(apiType).url;
    key = await dpopKey('ES256');
    token = await served.issuer!.mint({
      username: 'alice',
      claims: { typ: 'DPoP', cnf: { jkt: key.jkt, 'kc-jkt-type': 'DPoP' } },
    });
  });
  afterAll(() => served?.close());

  /** What the tests need of the served stage to sign in as its test users. */
  const callers = () => ({
    ...served,
    issuer: served.issuer!,
    gateway: { url },
    region: served.stack.region,
  });
  const call = (path: string, tok: string, dpop?: string) =>
    request(`${url}${path}`, {
      headers: { authorization: `DPoP ${tok}`, ...(dpop ? { dpop } : {}) },
    });
  const proof = (path: string, method = 'GET') =>
    dpopProof(key, { htm: method, htu: `${url}${path}`, accessToken: token });
  const ALGS = 'algs="ES256 RS256 PS256 EdDSA"';
  /** What the client sees of a refusal: the status and the challenge. */
  const refusal = (error: string, description: string) =>
    apiType === 'rest'
      ? { status: 403, challenge: `DPoP error="${error}", error_description="${description}", ${ALGS}` }
      : { status: 401, challenge: 'Bearer' };
  const seen = async (r: Promise<{ status: number; headers: Record<string, unknown> }>) => {
    const res = await r;
    return { status: res.status, challenge: res.headers['www-authenticate'] };
  };

  it('the stage block becomes the authorizer block, its replay table created locally, the result cache off', () => {
    const authorizer = served.api(apiType).api.authorizer!;
    const config = JSON.parse(
      served.stack.functions[authorizer.functionId].environment[AUTHORIZER_CONFIG_ENV],
    );
    const replay = served.tables.tables.find((t) => t.path.includes('DpopReplayTable'));
    expect(config.tokenBinding).toEqual({
      dpop: { issuers: [], routes: ['GET /me'], replayTableName: replay!.tableName },
    });
    expect(replay).toMatchObject({
      keySchema: [{ AttributeName: REPLAY_TABLE.partitionKey, KeyType: 'HASH' }],
      ttlAttribute: REPLAY_TABLE.ttlAttribute,
    });
    expect(authorizer.cacheTtlSeconds).toBe(0);
  });

  it('a fresh proof passes; the same proof again is refused as a replay', async () => {
    reasons.length = 0;
    const p = await proof('/me');
    expect((await call('/me', token, p)).status).toBe(200);
    expect(await seen(call('/me', token, p))).toEqual(
      refusal('invalid_dpop_proof', 'The DPoP proof was already used'),
    );
    expect((await call('/me', token, await proof('/me'))).status).toBe(200);
    expect(reasons).toEqual(['allowed', 'dpop_proof_replayed', 'allowed']);
  });

  it('refuses no proof, a proof for another URL, and a plain bearer token on the bound route', async () => {
    reasons.length = 0;
    expect(await seen(call('/me', token))).toEqual(refusal('invalid_dpop_proof', 'A DPoP proof is required'));
    expect(await seen(call('/me', token, await proof('/models')))).toEqual(
      refusal('invalid_dpop_proof', 'The DPoP proof is for another request or token'),
    );
    const bearer = (await userTokens(callers(), 'alice')).access_token;
    expect(await seen(call('/me', bearer))).toEqual(
      refusal('invalid_token', 'The access token is not DPoP-bound'),
    );
    expect(reasons).toEqual(['dpop_proof_missing', 'dpop_proof_mismatch', 'dpop_binding_missing']);
  });

  it('a route outside the scope takes a plain bearer token, and a bound token with its proof', async () => {
    reasons.length = 0;
    const bearer = (await userTokens(callers(), 'alice')).access_token;
    expect((await call('/models', bearer)).status).toBe(200);
    // The token declares its binding (cnf.jkt): it is never accepted as a bearer token where DPoP is set up.
    expect((await call('/models', token)).status).toBe(refusal('', '').status);
    expect((await call('/models', token, await proof('/models'))).status).toBe(200);
    expect(reasons).toEqual(['allowed', 'dpop_proof_missing', 'allowed']);
  });
});
