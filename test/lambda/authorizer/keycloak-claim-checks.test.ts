import { describe, expect, it } from 'vitest';
import type { KeycloakIssuerConfig } from '../../../common/authorizer-config';
import type { ReasonCode } from '../../../common/reason-codes';
import { checkCommonClaims, checkKeycloakClaims } from '../../../lambda/authorizer/keycloak-claim-checks';

const NOW = 1_800_000_000;
const SKEW = 30;
const base = { sub: 'u1', iat: NOW - 10, exp: NOW + 290 };

describe('checkCommonClaims', () => {
  it.each<[string, Record<string, unknown>]>([
    ['a fresh token', base],
    ['exp exactly now + skew in the past', { ...base, exp: NOW - SKEW }],
    ['nbf within the skew', { ...base, nbf: NOW + SKEW }],
    ['iat within the skew', { ...base, iat: NOW + SKEW }],
    ['no nbf and no iat', { sub: 'u1', exp: NOW + 1 }],
  ])('accepts %s', (_name, claims) => {
    expect(checkCommonClaims(claims, NOW, SKEW)).toEqual({ ok: true });
  });

  it.each<[string, Record<string, unknown>, ReasonCode]>([
    ['exp missing', { sub: 'u1' }, 'claim_missing'],
    ['exp a string', { ...base, exp: String(NOW + 10) }, 'claim_missing'],
    ['exp Infinity', { ...base, exp: Infinity }, 'claim_missing'],
    ['exp beyond the skew', { ...base, exp: NOW - SKEW - 1 }, 'token_expired'],
    ['nbf beyond the skew', { ...base, nbf: NOW + SKEW + 1 }, 'token_not_yet_valid'],
    ['nbf not a number', { ...base, nbf: 'soon' }, 'token_not_yet_valid'],
    ['iat beyond the skew', { ...base, iat: NOW + SKEW + 1 }, 'token_not_yet_valid'],
    ['sub missing', { exp: base.exp }, 'claim_missing'],
    ['sub empty', { ...base, sub: '' }, 'claim_missing'],
    ['sub a number', { ...base, sub: 5 }, 'claim_missing'],
  ])('refuses %s', (_name, claims, reason) => {
    expect(checkCommonClaims(claims, NOW, SKEW)).toMatchObject({ ok: false, reason });
  });

  it('applies a skew of 0 exactly', () => {
    expect(checkCommonClaims({ ...base, exp: NOW }, NOW, 0)).toEqual({ ok: true });
    expect(checkCommonClaims({ ...base, exp: NOW - 1 }, NOW, 0)).toMatchObject({ reason: 'token_expired' });
  });
});

describe('checkKeycloakClaims', () => {
  const issuer = 'https://sso.example.com/realms/ml';
  const byClient: KeycloakIssuerConfig = { kind: 'keycloak', issuer, allowedClients: ['web', 'cli'] };
  const byAudience: KeycloakIssuerConfig = { kind: 'keycloak', issuer, allowedAudiences: ['orders-api'] };
  const both: KeycloakIssuerConfig = { ...byClient, allowedAudiences: ['orders-api'] };
  const withAccount: KeycloakIssuerConfig = { ...byAudience, allowAccountAudience: true };
  const token = { typ: 'Bearer', azp: 'web' };

  it.each<[string, KeycloakIssuerConfig, Record<string, unknown>]>([
    ['an allowed azp', byClient, token],
    ['an allowed azp without aud', byClient, { ...token, aud: undefined }],
    ['an allowed aud (string)', byAudience, { ...token, aud: 'orders-api' }],
    ['an allowed aud among others', byAudience, { ...token, aud: ['account', 'orders-api'] }],
    ['azp and aud both allowed', both, { ...token, aud: ['orders-api'] }],
    ['aud only account, with allowAccountAudience', withAccount, { ...token, aud: 'account' }],
  ])('accepts %s', (_name, config, claims) => {
    expect(checkKeycloakClaims(claims, config)).toEqual({ ok: true });
  });

  it.each<[string, KeycloakIssuerConfig, Record<string, unknown>, ReasonCode]>([
    ...['ID', 'Refresh', 'Offline', 'Logout', 'bearer', 'BEARER', ''].map(
      (typ): [string, KeycloakIssuerConfig, Record<string, unknown>, ReasonCode] => [
        `typ ${JSON.stringify(typ)}`,
        byClient,
        { ...token, typ },
        'token_type_invalid',
      ],
    ),
    ['typ missing', byClient, { azp: 'web' }, 'token_type_invalid'],
    ['typ a list', byClient, { ...token, typ: ['Bearer'] }, 'token_type_invalid'],
    ['azp not allowed', byClient, { ...token, azp: 'evil' }, 'client_not_allowed'],
    ['azp missing', byClient, { typ: 'Bearer' }, 'client_not_allowed'],
    ['azp a list', byClient, { ...token, azp: ['web'] }, 'client_not_allowed'],
    ['aud missing', byAudience, token, 'audience_not_allowed'],
    ['aud not allowed', byAudience, { ...token, aud: ['billing'] }, 'audience_not_allowed'],
    ['aud only account', byAudience, { ...token, aud: 'account' }, 'audience_not_allowed'],
    ['aud only [account]', byAudience, { ...token, aud: ['account'] }, 'audience_not_allowed'],
    [
      'aud only account, even when account is listed, without allowAccountAudience',
      { ...byAudience, allowedAudiences: ['account', 'orders-api'] },
      { ...token, aud: 'account' },
      'audience_not_allowed',
    ],
    ['azp allowed but aud not (both configured)', both, { ...token, aud: 'billing' }, 'audience_not_allowed'],
    [
      'aud allowed but azp not (both configured)',
      both,
      { ...token, azp: 'evil', aud: 'orders-api' },
      'client_not_allowed',
    ],
  ])('refuses %s', (_name, config, claims, reason) => {
    expect(checkKeycloakClaims(claims, config)).toMatchObject({ ok: false, reason });
  });
});
