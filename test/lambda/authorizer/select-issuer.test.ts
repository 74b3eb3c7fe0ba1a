import { describe, expect, it } from 'vitest';
import type { IssuerConfig } from '../../../common/authorizer-config';
import { indexIssuers, selectIssuer } from '../../../lambda/authorizer/select-issuer';

const keycloak: IssuerConfig = {
  kind: 'keycloak',
  issuer: 'https://sso.example.com/realms/ml',
  allowedClients: ['web'],
};
const es: IssuerConfig = {
  kind: 'keycloak',
  issuer: 'https://sso.example.com/realms/edge',
  allowedAudiences: ['edge-api'],
  algorithms: ['ES256', 'EdDSA'],
};
const cognito: IssuerConfig = {
  kind: 'cognito',
  userPoolId: 'eu-west-1_AbC123',
  region: 'eu-west-1',
  allowedClients: ['c1'],
};
const index = indexIssuers([keycloak, es, cognito]);

describe('selectIssuer', () => {
  it.each([
    ['https://sso.example.com/realms/ml', keycloak],
    ['https://sso.example.com/realms/edge', es],
    ['https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123', cognito],
    ['https://issuer-cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123', cognito],
  ])('selects %s by exact match', (iss, config) => {
    expect(selectIssuer(index, iss)?.config).toBe(config);
  });

  it.each<[string, unknown]>([
    ['trailing slash', 'https://sso.example.com/realms/ml/'],
    ['http instead of https', 'http://sso.example.com/realms/ml'],
    ['legacy /auth path', 'https://sso.example.com/auth/realms/ml'],
    ['another realm', 'https://sso.example.com/realms/other'],
    ['case changed', 'https://SSO.example.com/realms/ml'],
    ['default port spelled out', 'https://sso.example.com:443/realms/ml'],
    ['prefix of a trusted issuer', 'https://sso.example.com/realms/m'],
    ['trusted issuer as prefix', 'https://sso.example.com/realms/ml2'],
    ['another user pool', 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Other'],
    ['not a string', ['https://sso.example.com/realms/ml']],
    ['missing', undefined],
    ['Object prototype key', 'constructor'],
  ])('refuses %s', (_name, iss) => {
    expect(selectIssuer(index, iss)).toBeUndefined();
  });

  it('defaults Keycloak issuers to RS256 and uses the configured allow-list otherwise', () => {
    expect([
      ...(selectIssuer(index, keycloak.kind === 'keycloak' ? keycloak.issuer : '')?.algorithms ?? []),
    ]).toEqual(['RS256']);
    expect([...(selectIssuer(index, 'https://sso.example.com/realms/edge')?.algorithms ?? [])]).toEqual([
      'ES256',
      'EdDSA',
    ]);
    expect([
      ...(selectIssuer(index, 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123')?.algorithms ??
        []),
    ]).toEqual(['RS256']);
  });

  it('reports the configured (regional) URL for both Cognito issuer forms', () => {
    const url = 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123';
    expect(
      selectIssuer(index, 'https://issuer-cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123')?.url,
    ).toBe(url);
  });
});
