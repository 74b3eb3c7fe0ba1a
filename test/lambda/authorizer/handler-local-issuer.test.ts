/**
 * Integration: tokens issued by a real OpenID provider (oidc-provider at Keycloak's realm paths, on
 * loopback HTTPS) for the app's default realm, verified through the authorizer handler with the real
 * verifier fetching the provider's JWKS. Client-credentials (service account, client roles) and
 * password-grant user tokens (realm roles) carry Keycloak's claim shapes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_APP_CONFIG, DEFAULT_ROUTES } from '../../../common/app-config';
import type { AuthorizerConfig } from '../../../common/authorizer-config';
import { validateAuthorizerConfig } from '../../../common/authorizer-config-validate';
import type { IamPolicyResponse, SimpleResponse } from '../../../lambda/authorizer/build-response';
import { createHandler } from '../../../lambda/authorizer/handler';
import { createTokenVerifier } from '../../../lambda/authorizer/verify-token';
import type { LocalIssuer } from '../../../local/issuer';
import { startLocalIssuer } from '../../../local/issuer';
import { basicAuth, postForm } from '../../../local/http/request';
import { EVENT_KINDS, apigwEvent, methodArn } from '../../fixtures/apigw/events';
import { RecordingLog, evaluatePolicy } from './pipeline-fixtures';

const stage = DEFAULT_APP_CONFIG.stages.dev;

describe('handler with tokens from a local Keycloak-compatible OpenID provider', () => {
  let idp: LocalIssuer;
  let config: AuthorizerConfig;
  const tokens: Record<'scorer' | 'alice' | 'bob' | 'aliceId', string> = {
    scorer: '',
    alice: '',
    bob: '',
    aliceId: '',
  };

  beforeAll(async () => {
    idp = await startLocalIssuer({ realm: stage.keycloak });
    const candidate = {
      version: 1,
      issuers: [
        {
          kind: 'keycloak',
          issuer: idp.issuer,
          jwksUri: idp.urls.certs,
          allowedClients: [stage.keycloak.peopleClientId, 'batch-scorer'],
          allowedAudiences: ['keygate-api'],
        },
      ],
      routes: DEFAULT_ROUTES,
    };
    const valid = validateAuthorizerConfig(candidate);
    if (!valid.ok) throw new Error(valid.errors.join('; '));
    config = valid.config;

    const cc = await postForm(
      idp.urls.token,
      { grant_type: 'client_credentials' },
      {
        ca: idp.ca,
        headers: { authorization: basicAuth('batch-scorer', idp.clientSecrets['batch-scorer']) },
      },
    );
    expect(cc.status).toBe(200);
    tokens.scorer = cc.json<{ access_token: string }>().access_token;
    for (const user of ['alice', 'bob'] as const) {
      const res = await postForm(
        idp.urls.token,
        {
          grant_type: 'password',
          client_id: stage.keycloak.peopleClientId,
          username: user,
          password: idp.passwords[user],
          scope: 'openid',
        },
        { ca: idp.ca },
      );
      expect(res.status).toBe(200);
      const body = res.json<{ access_token: string; id_token: string }>();
      tokens[user] = body.access_token;
      if (user === 'alice') tokens.aliceId = body.id_token;
    }
  });
  afterAll(async () => {
    await idp?.close();
  });

  function handler(log = new RecordingLog(), responseMode: 'iam' | 'simple' = 'iam') {
    return createHandler({
      config: { ok: true, config: { ...config, responseMode } },
      createVerifier: (c, events) => createTokenVerifier(c, { events, requestOptions: { ca: idp.ca } }),
      log,
    });
  }

  const CASES = [
    ['scorer', 'GET', '/models', 'allow'],
    ['scorer', 'POST', '/models/sentiment/invoke', 'allow'],
    ['scorer', 'POST', '/models/keywords/invoke', 'deny'],
    ['scorer', 'GET', '/me', 'allow'],
    ['alice', 'GET', '/models', 'allow'],
    ['alice', 'POST', '/models/sentiment/invoke', 'allow'],
    ['alice', 'POST', '/models/keywords/invoke', 'allow'],
    ['alice', 'POST', '/models/other/invoke', 'deny'],
    ['bob', 'GET', '/models', 'allow'],
    ['bob', 'POST', '/models/sentiment/invoke', 'deny'],
    ['bob', 'GET', '/me', 'allow'],
  ] as const;

  it.each(EVENT_KINDS)(
    '%s: one policy per token decides every route as the route table says',
    async (kind) => {
      const log = new RecordingLog();
      const h = handler(log);
      for (const who of ['scorer', 'alice', 'bob'] as const) {
        const r = (await h(
          apigwEvent(kind, { path: '/me', authorization: `Bearer ${tokens[who]}` }),
        )) as IamPolicyResponse;
        for (const [name, method, path, expected] of CASES.filter((c) => c[0] === who)) {
          const got = evaluatePolicy(r.policyDocument.Statement, methodArn(kind, method, path));
          expect({ name, method, path, got }).toEqual({ name, method, path, got: expected });
        }
      }
      expect(log.lines.map((l) => l.decision)).toEqual(['allow', 'allow', 'allow']);
    },
  );

  it('the service-account token yields Keycloak service-account identity in the context', async () => {
    const r = (await handler()(
      apigwEvent('rest', { authorization: `Bearer ${tokens.scorer}` }),
    )) as IamPolicyResponse;
    expect(r.context).toMatchObject({
      tokenKind: 'keycloak-service-account',
      clientId: 'batch-scorer',
      username: 'service-account-batch-scorer',
      issuer: idp.issuer,
    });
    // The account client's defaults come with every token, as Keycloak's do.
    expect(r.context.clientRoles.split(' ').sort()).toEqual([
      'account:manage-account',
      'account:manage-account-links',
      'account:view-profile',
      'keygate-api:model-user',
      'keygate-api:model:sentiment:invoke',
    ]);
    expect(r.principalId).toBe(idp.realm.serviceAccounts.get('batch-scorer')?.id);
  });

  it('a user token yields the user identity and realm roles in the context', async () => {
    const r = (await handler()(
      apigwEvent('http-2.0', { authorization: `Bearer ${tokens.alice}` }),
    )) as IamPolicyResponse;
    expect(r.context).toMatchObject({
      tokenKind: 'keycloak-user',
      clientId: 'keygate-web',
      username: 'alice',
    });
    expect(r.context.realmRoles.split(' ').sort()).toEqual([
      'default-roles-keygate',
      'model-user',
      'model:keywords:invoke',
      'model:sentiment:invoke',
      'offline_access',
      'uma_authorization',
    ]);
    expect(r.principalId).toBe(idp.realm.users.get('alice')?.id);
  });

  it.each(CASES)('simple mode: %s %s %s -> %s', async (who, method, path, expected) => {
    const r = (await handler(
      new RecordingLog(),
      'simple',
    )(apigwEvent('http-2.0', { method, path, authorization: `Bearer ${tokens[who]}` }))) as SimpleResponse;
    expect(r.isAuthorized).toBe(expected === 'allow');
  });

  it.each([
    ['the ID token', () => Promise.resolve(tokens.aliceId), 'token_type_invalid'],
    ['an expired token', () => idp.mint({ username: 'alice', expiresIn: -120 }), 'token_expired'],
    [
      'a token for a client not allowed',
      () => idp.mint({ username: 'alice', claims: { azp: 'another-client' } }),
      'client_not_allowed',
    ],
  ])('401 for %s', async (_n, make, reason) => {
    const log = new RecordingLog();
    const token = await make();
    await expect(handler(log)(apigwEvent('rest', { authorization: `Bearer ${token}` }))).rejects.toThrow(
      'Unauthorized',
    );
    expect(log.lines[0]).toMatchObject({ decision: 'unauthorized', reason });
  });
});
