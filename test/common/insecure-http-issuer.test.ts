/**
 * The explicit opt-in for a Keycloak issuer whose `iss` is plain http (a development Keycloak), in the
 * authorizer configuration, the stage configuration and TrustedIssuer.keycloakRealm. Keys stay https-only,
 * except a loopback http JWKS URI in the runtime configuration (the local stack).
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_APP_CONFIG } from '../../common/app-config';
import { validateStageConfig } from '../../common/app-config-validate';
import type { IssuerConfig } from '../../common/authorizer-config';
import { validateAuthorizerConfig } from '../../common/authorizer-config-validate';
import { TrustedIssuer } from '../../lib/authorizer/trusted-issuer';

const LOCAL = 'http://localhost:8080/realms/keygate';
const LAN = 'http://kc.test.internal:8080/realms/keygate';
const HINT = "(a development Keycloak's http issuer needs insecureHttpIssuerForDevelopmentOnly: true)";

function runtimeErrors(issuer: Record<string, unknown>): string[] {
  const r = validateAuthorizerConfig({
    version: 1,
    issuers: [{ kind: 'keycloak', allowedClients: ['web'], ...issuer } as unknown as IssuerConfig],
    routes: [],
  });
  return r.ok ? [] : r.errors;
}

describe('authorizer configuration (runtime, also the local stack)', () => {
  it.each<[string, Record<string, unknown>, string[]]>([
    [
      'an http issuer without the opt-in',
      { issuer: LOCAL },
      [`issuers[0].issuer must be an https URL without a trailing slash ${HINT}`],
    ],
    [
      'an http loopback issuer with the opt-in (keys from its loopback certs endpoint)',
      { issuer: LOCAL, insecureHttpIssuerForDevelopmentOnly: true },
      [],
    ],
    [
      'an http issuer with the opt-in and an https JWKS URI',
      { issuer: LAN, jwksUri: 'https://kc.test.internal/certs', insecureHttpIssuerForDevelopmentOnly: true },
      [],
    ],
    [
      'an http issuer on another host with the opt-in: its certs endpoint is http',
      { issuer: LAN, insecureHttpIssuerForDevelopmentOnly: true },
      [
        "issuers[0].jwksUri must be set to an https URL (or, for an http issuer, an http URL on a loopback address): keys are fetched over https only, and the http issuer's certs endpoint is not",
      ],
    ],
    [
      'an http JWKS URI off loopback, even with the opt-in',
      { issuer: LOCAL, jwksUri: 'http://kc.test.internal/certs', insecureHttpIssuerForDevelopmentOnly: true },
      ['issuers[0].jwksUri must be an https URL (or, for an http issuer, an http URL on a loopback address)'],
    ],
    [
      'an opt-in that is not a boolean',
      { issuer: LOCAL, insecureHttpIssuerForDevelopmentOnly: 'yes' },
      [
        'issuers[0].insecureHttpIssuerForDevelopmentOnly must be a boolean',
        `issuers[0].issuer must be an https URL without a trailing slash ${HINT}`,
      ],
    ],
    ['an https issuer needs no opt-in', { issuer: 'https://sso.example.com/realms/k' }, []],
  ])('%s', (_name, issuer, errors) => {
    expect(runtimeErrors(issuer)).toEqual(errors);
  });
});

describe('TrustedIssuer.keycloakRealm (synth: keys over https only)', () => {
  it('refuses an http issuer without the opt-in', () => {
    expect(() => TrustedIssuer.keycloakRealm({ issuerUrl: LOCAL, allowedClients: ['web'] })).toThrow(
      `TrustedIssuer.keycloakRealm.issuerUrl must be an https URL without a trailing slash ${HINT}`,
    );
  });

  it('refuses an opted-in http issuer whose keys would come over http, even from loopback', () => {
    expect(() =>
      TrustedIssuer.keycloakRealm({
        issuerUrl: LOCAL,
        allowedClients: ['web'],
        insecureHttpIssuerForDevelopmentOnly: true,
      }),
    ).toThrow(
      "TrustedIssuer.keycloakRealm.jwksUri must be set to an https URL: keys are fetched over https only, and the http issuer's certs endpoint is not",
    );
  });

  it('accepts an opted-in http issuer with an https JWKS URI', () => {
    const issuer = TrustedIssuer.keycloakRealm({
      issuerUrl: LAN,
      jwksUri: 'https://kc.test.internal/realms/keygate/protocol/openid-connect/certs',
      allowedClients: ['web'],
      insecureHttpIssuerForDevelopmentOnly: true,
    });
    expect(issuer._config).toMatchObject({ issuer: LAN, insecureHttpIssuerForDevelopmentOnly: true });
  });
});

describe('stage configuration', () => {
  const dev = DEFAULT_APP_CONFIG.stages.dev;
  const AT = 'keygate.stages.dev';
  const stage = (keycloak: Record<string, unknown>) => ({
    ...dev,
    keycloak: { ...dev.keycloak, ...keycloak },
  });

  it('refuses an http issuer without the opt-in', () => {
    expect(validateStageConfig(stage({ issuer: LOCAL }), AT)).toEqual([
      `${AT}.keycloak.issuer must be the realm's https issuer URL without a trailing slash ${HINT}`,
    ]);
  });

  it('accepts an http issuer with the opt-in', () => {
    expect(
      validateStageConfig(stage({ issuer: LOCAL, insecureHttpIssuerForDevelopmentOnly: true }), AT),
    ).toEqual([]);
  });
});
