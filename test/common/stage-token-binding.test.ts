import { describe, expect, it, test } from 'vitest';
import { DEFAULT_APP_CONFIG } from '../../common/app-config';
import { validateStageConfig } from '../../common/app-config-validate';

const dev = DEFAULT_APP_CONFIG.stages.dev;
const AT = 'keygate.stages.dev';
const ISSUER = dev.keycloak.issuer;

/** The default stage with a tokenBinding block and other fields replaced (undefined removes a field). */
function stageWith(tokenBinding: unknown, patch: Record<string, unknown> = {}): Record<string, unknown> {
  const s: Record<string, unknown> = JSON.parse(JSON.stringify({ ...dev, authorizer: {} }));
  s.tokenBinding = tokenBinding;
  for (const [k, v] of Object.entries(patch)) {
    if (v === undefined) delete s[k];
    else s[k] = v;
  }
  return s;
}

describe('the stage tokenBinding block', () => {
  test('accepts DPoP and mTLS scopes with the result cache left to its default', () => {
    const block = {
      dpop: {
        routes: ['POST /models/{modelId}/invoke'],
        algorithms: ['ES256'],
        proofMaxAgeSeconds: 30,
        publicBaseUrl: 'https://api.example.com/v1',
      },
      mtls: { issuers: [ISSUER] },
    };
    expect(validateStageConfig(stageWith(block), AT)).toEqual([]);
  });

  it.each<[string, unknown, Record<string, unknown>, string]>([
    [
      'a route that is not a keycloak route of the stage',
      { dpop: { routes: ['GET /machine/models'] } },
      {},
      `${AT}.tokenBinding.dpop.routes: 'GET /machine/models' is not a keycloak route of the table (e.g. 'GET /me')`,
    ],
    [
      'an issuer the stage does not trust',
      { mtls: { issuers: ['https://other.example.com/realms/x'] } },
      {},
      `${AT}.tokenBinding.mtls.issuers: 'https://other.example.com/realms/x' is not a trusted issuer (${ISSUER})`,
    ],
    [
      'cognitoFederation without the federation',
      { mtls: { issuers: ['cognitoFederation'] } },
      {},
      `${AT}.tokenBinding.mtls.issuers: 'cognitoFederation' is not a trusted issuer (${ISSUER})`,
    ],
    [
      'an http public base URL',
      { dpop: { publicBaseUrl: 'http://api.example.com' } },
      {},
      `${AT}.tokenBinding.dpop.publicBaseUrl must be an https URL (http on a loopback address) without a trailing slash`,
    ],
    ['an empty block', {}, {}, `${AT}.tokenBinding must set dpop or mtls`],
    [
      'the result cache on',
      { dpop: { routes: ['GET /me'] } },
      { authorizer: { cacheTtlSeconds: 300 } },
      `${AT}.authorizer.cacheTtlSeconds must be 0 (or left out) with tokenBinding: a bound token is proven per request (DPoP proof, client certificate), which a cached answer would skip`,
    ],
  ])('refuses %s, naming the field', (_name, block, patch, message) => {
    expect(validateStageConfig(stageWith(block, patch), AT)).toEqual([message]);
  });

  test('refuses fields a stage block does not have (the app names the replay table itself)', () => {
    expect(
      validateStageConfig(stageWith({ dpop: { replayTableName: 'mine' }, mtls: { algorithms: [] } }), AT),
    ).toEqual([
      `${AT}.tokenBinding.dpop.replayTableName is not a field (issuers, routes, algorithms, proofMaxAgeSeconds, publicBaseUrl)`,
      `${AT}.tokenBinding.mtls.algorithms is not a field (issuers, routes)`,
    ]);
  });
});
