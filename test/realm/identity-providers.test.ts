import { describe, expect, it } from 'vitest';
import { DEFAULT_APP_CONFIG } from '../../common/app-config';
import {
  UpstreamSecret,
  brokeringOptions,
  entraIdProvider,
  oidcIdentityProvider,
  plainSecrets,
  samlIdentityProvider,
  unknownMappedRoles,
} from '../../realm/identity-providers';
import { buildRealm } from '../../realm/realm-definition';

const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const ANALYSTS = '0b4f1a8e-5c2d-4e7a-9f31-6a2b8c9d0e11';
const SCORERS = '1c5a2b9f-6d3e-4f8b-a042-7b3c9d0e1f22';
const CERT = 'MIIC' + 'A'.repeat(120) + '==';

const entra = () =>
  entraIdProvider({
    tenantId: TENANT,
    clientId: 'keygate-broker',
    clientSecret: UpstreamSecret.vault('entra-client-secret'),
    groupRoles: [
      { upstream: ANALYSTS, realmRole: 'model-user' },
      { upstream: SCORERS, realmRole: 'model:sentiment:invoke' },
      { upstream: SCORERS, clientRole: 'keygate-api:model-user' },
    ],
  });

const saml = () =>
  samlIdentityProvider({
    alias: 'corp-saml',
    idpEntityId: 'https://idp.corp.example/saml',
    singleSignOnServiceUrl: 'https://idp.corp.example/saml/sso',
    signingCertificate: `-----BEGIN CERTIFICATE-----\n${CERT}\n-----END CERTIFICATE-----`,
    groupRoles: [{ upstream: 'ml-analysts', realmRole: 'model-user' }],
  });

describe('Microsoft Entra ID', () => {
  it('is an OpenID Connect provider at the tenant v2.0 endpoints, signatures checked against its JWKS, PKCE on', () => {
    const { provider } = entra();
    expect(provider).toMatchObject({
      alias: 'entra',
      displayName: 'Microsoft Entra ID',
      providerId: 'oidc',
      enabled: true,
      trustEmail: false,
      config: {
        issuer: `https://login.microsoftonline.com/${TENANT}/v2.0`,
        authorizationUrl: `https://login.microsoftonline.com/${TENANT}/oauth2/v2.0/authorize`,
        tokenUrl: `https://login.microsoftonline.com/${TENANT}/oauth2/v2.0/token`,
        jwksUrl: `https://login.microsoftonline.com/${TENANT}/discovery/v2.0/keys`,
        logoutUrl: `https://login.microsoftonline.com/${TENANT}/oauth2/v2.0/logout`,
        useJwksUrl: 'true',
        validateSignature: 'true',
        clientId: 'keygate-broker',
        defaultScope: 'openid profile email',
        pkceEnabled: 'true',
        pkceMethod: 'S256',
        syncMode: 'FORCE',
      },
    });
  });

  it('keeps the client secret out of the JSON: a vault reference Keycloak resolves at run time', () => {
    const { provider } = entra();
    expect(provider.config?.clientSecret).toBe('${vault.entra-client-secret}');
  });

  it('turns each group object id into an advanced claim-to-role mapper (realm and client roles)', () => {
    expect(entra().mappers).toEqual([
      {
        name: `entra: ${ANALYSTS} -> model-user`,
        identityProviderAlias: 'entra',
        identityProviderMapper: 'oidc-advanced-role-idp-mapper',
        config: {
          syncMode: 'FORCE',
          claims: JSON.stringify([{ key: 'groups', value: ANALYSTS }]),
          'are.claim.values.regex': 'false',
          role: 'model-user',
        },
      },
      expect.objectContaining({ config: expect.objectContaining({ role: 'model:sentiment:invoke' }) }),
      expect.objectContaining({ config: expect.objectContaining({ role: 'keygate-api.model-user' }) }),
    ]);
  });

  it.each([
    [
      { tenantId: 'contoso.onmicrosoft.com' },
      "entraIdProvider: tenantId 'contoso.onmicrosoft.com' must be a directory (tenant) GUID",
    ],
    [
      { groupRoles: [{ upstream: 'Analysts', realmRole: 'model-user' }] },
      "entraIdProvider: groupRoles[0].upstream 'Analysts' must be a group object id (GUID)",
    ],
  ])('refuses %j', (change, message) => {
    expect(() =>
      entraIdProvider({
        tenantId: TENANT,
        clientId: 'c',
        clientSecret: UpstreamSecret.vault('s'),
        groupRoles: [],
        ...change,
      }),
    ).toThrow(message);
  });
});

describe('SAML', () => {
  it('requires signed assertions against the given certificate, POST bindings, persistent NameID', () => {
    const { provider, mappers } = saml();
    expect(provider).toMatchObject({
      alias: 'corp-saml',
      providerId: 'saml',
      config: {
        idpEntityId: 'https://idp.corp.example/saml',
        singleSignOnServiceUrl: 'https://idp.corp.example/saml/sso',
        validateSignature: 'true',
        wantAssertionsSigned: 'true',
        signingCertificate: CERT,
        postBindingResponse: 'true',
        postBindingAuthnRequest: 'true',
        nameIDPolicyFormat: 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent',
      },
    });
    expect(mappers).toEqual([
      {
        name: 'corp-saml: ml-analysts -> model-user',
        identityProviderAlias: 'corp-saml',
        identityProviderMapper: 'saml-advanced-role-idp-mapper',
        config: {
          syncMode: 'FORCE',
          attributes: JSON.stringify([{ key: 'groups', value: 'ml-analysts' }]),
          'are.attribute.values.regex': 'false',
          role: 'model-user',
        },
      },
    ]);
  });
});

describe('validation', () => {
  const base = {
    alias: 'up',
    issuer: 'https://up.example',
    authorizationUrl: 'https://up.example/auth',
    tokenUrl: 'https://up.example/token',
    jwksUrl: 'https://up.example/jwks',
    clientId: 'c',
    clientSecret: UpstreamSecret.environment('UPSTREAM_SECRET'),
    groupRoles: [{ upstream: 'g', realmRole: 'model-user' }],
  };

  it('accepts an environment placeholder substituted at import', () => {
    expect(oidcIdentityProvider(base).provider.config?.clientSecret).toBe('${UPSTREAM_SECRET}');
  });

  it.each([
    [
      { clientSecret: 'hunter2' as unknown as UpstreamSecret },
      "identityProvider 'up'.clientSecret must be an UpstreamSecret (vault or environment reference), never a plain value",
    ],
    [{ alias: 'bad alias' }, "identityProvider 'bad alias'.alias must be 1-255 of A-Z a-z 0-9 . _ -"],
    [{ tokenUrl: 'http://up.example/token' }, "identityProvider 'up'.tokenUrl must be an https URL"],
    [{ scopes: ['profile'] }, "identityProvider 'up'.scopes must include 'openid'"],
    [{ groupRoles: [] }, "identityProvider 'up'.groupRoles must map at least one upstream group to a role"],
    [
      { groupRoles: [{ upstream: 'g' }] },
      "identityProvider 'up'.groupRoles[0]: give exactly one of realmRole or clientRole",
    ],
    [
      { groupRoles: [{ upstream: 'g', realmRole: 'a', clientRole: 'c:r' }] },
      "identityProvider 'up'.groupRoles[0]: give exactly one of realmRole or clientRole",
    ],
    [
      { groupRoles: [{ upstream: 'g', realmRole: 'model:{modelId}:invoke' }] },
      "identityProvider 'up'.groupRoles[0].realmRole 'model:{modelId}:invoke' is not a concrete role name",
    ],
    [
      { groupRoles: [{ upstream: 'g', clientRole: 'norole' }] },
      "identityProvider 'up'.groupRoles[0].clientRole 'norole' must be a concrete client:role",
    ],
    [
      { groupRoles: [{ upstream: '', realmRole: 'r' }] },
      "identityProvider 'up'.groupRoles[0].upstream must be a non-empty string",
    ],
    [
      {
        groupRoles: [
          { upstream: 'g', realmRole: 'r' },
          { upstream: 'g', realmRole: 'r' },
        ],
      },
      "identityProvider 'up'.groupRoles[1] repeats g -> r",
    ],
  ])('refuses %j', (change, message) => {
    expect(() => oidcIdentityProvider({ ...base, ...change })).toThrow(message);
  });

  it.each([
    [() => UpstreamSecret.vault('a b'), "UpstreamSecret.vault: key 'a b' must be 1-128 of A-Z a-z 0-9 _ . -"],
    [
      () => UpstreamSecret.environment('lower'),
      "UpstreamSecret.environment: 'lower' must be an upper-case environment variable name",
    ],
    [
      () =>
        samlIdentityProvider({
          ...saml().provider,
          alias: 's',
          idpEntityId: 'x',
          singleSignOnServiceUrl: 'https://x',
          signingCertificate: 'not a cert',
          groupRoles: [],
        }),
      "identityProvider 's'.signingCertificate must be a base64 or PEM certificate",
    ],
    [() => brokeringOptions([entra(), entra()]), "identity provider alias 'entra' is used twice"],
  ])('refuses case %#', (run, message) => {
    expect(run).toThrow(message);
  });
});

describe('in the realm definition', () => {
  const stage = DEFAULT_APP_CONFIG.stages.dev;

  it('plugs into buildRealm: providers and mappers land in the import JSON, every mapped role exists, no plain secret', () => {
    const realm = buildRealm(stage, brokeringOptions([entra(), saml()]));
    expect(realm.identityProviders?.map((p) => p.alias)).toEqual(['entra', 'corp-saml']);
    expect(realm.identityProviderMappers).toHaveLength(4);
    expect(unknownMappedRoles(realm)).toEqual([]);
    expect(plainSecrets(realm)).toEqual([]);
    expect(JSON.stringify(realm)).not.toMatch(/hunter2|client_secret"/);
  });

  it('reports a mapper granting a role the route table never requires', () => {
    const stray = oidcIdentityProvider({
      alias: 'up',
      issuer: 'https://up.example',
      authorizationUrl: 'https://up.example/auth',
      tokenUrl: 'https://up.example/token',
      jwksUrl: 'https://up.example/jwks',
      clientId: 'c',
      clientSecret: UpstreamSecret.vault('up'),
      groupRoles: [
        { upstream: 'admins', realmRole: 'admin' },
        { upstream: 'x', clientRole: 'keygate-api:nope' },
      ],
    });
    const realm = buildRealm(stage, brokeringOptions([stray]));
    expect(unknownMappedRoles(realm)).toEqual([
      "identity provider mapper 'up: admins -> admin' grants role 'admin', which the realm does not define",
      "identity provider mapper 'up: x -> keygate-api.nope' grants role 'keygate-api.nope', which the realm does not define",
    ]);
  });

  it('flags a provider whose clientSecret was written in plain text by hand', () => {
    const realm = buildRealm(stage, {
      identityProviders: [{ alias: 'hand', providerId: 'oidc', config: { clientSecret: 'hunter2' } }],
    });
    expect(plainSecrets(realm)).toEqual(["identity provider 'hand' has a plain-text clientSecret"]);
  });
});
