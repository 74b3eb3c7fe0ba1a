/**
 * Test tokens with Keycloak's and Cognito's claim shapes, signed with keys from ./keys.
 *
 * Tokens are assembled from raw header and payload strings so tests control the exact bytes: Keycloak
 * writes its header as `{"alg":"RS256","typ" : "JWT","kid" : "..."}` (spaces around `:`), and malformed
 * tokens need parts no JWT library would produce. Signing uses node:crypto with the JWS algorithms of
 * RFC 7518 §3 (PKCS#1 v1.5, ECDSA in IEEE P1363 form, Ed25519/Ed448).
 *
 *   const key = await generateSigningKey();
 *   const token = keycloakAccessToken(key, { issuer, azp: 'web', realmRoles: ['reader'] });
 */
import { createHmac, sign } from 'node:crypto';
import type { TestKey } from './keys';

export type Claims = Record<string, unknown>;

export function b64url(input: string | Buffer): string {
  return Buffer.from(input).toString('base64url');
}

/** Keycloak's header bytes, spaces included. */
export function keycloakHeader(alg: string, kid: string): string {
  return `{"alg":"${alg}","typ" : "JWT","kid" : "${kid}"}`;
}

const HASH: Record<string, string> = {
  RS256: 'sha256',
  RS384: 'sha384',
  RS512: 'sha512',
  ES256: 'sha256',
  ES384: 'sha384',
  ES512: 'sha512',
};

/** Signs `header.payload` with `key`. `header` defaults to Keycloak's header for the key's alg and kid. */
export function signJws(key: TestKey, payload: Claims | string, header?: Claims | string): string {
  const h =
    header === undefined
      ? keycloakHeader(key.alg, key.kid)
      : typeof header === 'string'
        ? header
        : JSON.stringify(header);
  const p = typeof payload === 'string' ? payload : JSON.stringify(payload);
  const input = `${b64url(h)}.${b64url(p)}`;
  const signature =
    key.alg === 'EdDSA'
      ? sign(null, Buffer.from(input), key.privateKey)
      : sign(HASH[key.alg], Buffer.from(input), { key: key.privateKey, dsaEncoding: 'ieee-p1363' });
  return `${input}.${signature.toString('base64url')}`;
}

/** An HMAC-signed token (Keycloak refresh tokens; the "HS256 with the RSA public key as secret" attack). */
export function signHmac(secret: string | Buffer, payload: Claims, header: Claims, hash = 'sha256'): string {
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`;
  return `${input}.${createHmac(hash, secret).update(input).digest('base64url')}`;
}

/** Any three parts, base64url-encoded as given: for malformed-token tests. */
export function rawToken(header: string, payload: string, signature = 'c2lnbmF0dXJl'): string {
  return `${b64url(header)}.${b64url(payload)}.${signature}`;
}

export const nowSeconds = (): number => Math.floor(Date.now() / 1000);

export interface KeycloakClaimOptions {
  readonly issuer: string;
  readonly sub?: string;
  readonly azp?: string;
  /** Omitted from the token when undefined (Keycloak often sends no aud). */
  readonly aud?: string | string[];
  readonly realmRoles?: string[];
  readonly clientRoles?: Record<string, string[]>;
  readonly scope?: string;
  readonly groups?: string[];
  readonly username?: string;
  /** Issue time, epoch seconds. @default now */
  readonly iat?: number;
  /** Lifetime in seconds. @default 300 (Keycloak's default access token lifespan) */
  readonly lifetime?: number;
  /** Merged last: override or add any claim; a value of `undefined` removes the claim. */
  readonly extra?: Claims;
}

/** Claims of a Keycloak (>= 17) access token for a user. */
export function keycloakAccessClaims(o: KeycloakClaimOptions): Claims {
  const iat = o.iat ?? nowSeconds();
  const claims: Claims = {
    exp: iat + (o.lifetime ?? 300),
    iat,
    jti: 'onrtac:' + Math.random().toString(16).slice(2),
    iss: o.issuer,
    aud: o.aud,
    sub: o.sub ?? 'f1a2b3c4-0000-4000-8000-000000000001',
    typ: 'Bearer',
    azp: o.azp ?? 'web',
    sid: '2c1d7e0a-1111-4000-8000-00000000000a',
    acr: '1',
    'allowed-origins': ['/*'],
    realm_access: { roles: o.realmRoles ?? ['offline_access', 'uma_authorization', 'default-roles-test'] },
    resource_access: o.clientRoles ?? { account: { roles: ['manage-account', 'view-profile'] } },
    scope: o.scope ?? 'openid profile email',
    email_verified: true,
    preferred_username: o.username ?? 'alice',
    ...(o.groups ? { groups: o.groups } : {}),
  };
  return clean({ ...claims, ...o.extra });
}

export function keycloakAccessToken(key: TestKey, o: KeycloakClaimOptions): string {
  return signJws(key, keycloakAccessClaims(o));
}

/** A Keycloak ID token: typ ID, aud = the client. */
export function keycloakIdToken(key: TestKey, o: KeycloakClaimOptions): string {
  const azp = o.azp ?? 'web';
  return signJws(
    key,
    keycloakAccessClaims({ ...o, aud: azp, extra: { typ: 'ID', at_hash: 'x1y2z3', ...o.extra } }),
  );
}

/** A Keycloak refresh token: HS256 with a realm-internal secret, a UUID kid, typ Refresh, aud = issuer. */
export function keycloakRefreshToken(
  secret: string,
  o: KeycloakClaimOptions & { typ?: 'Refresh' | 'Offline' },
): string {
  const iat = o.iat ?? nowSeconds();
  return signHmac(
    secret,
    clean({
      exp: iat + 1800,
      iat,
      jti: 'r1',
      iss: o.issuer,
      aud: o.issuer,
      sub: o.sub ?? 'u1',
      typ: o.typ ?? 'Refresh',
      azp: o.azp ?? 'web',
      scope: 'openid profile',
      ...o.extra,
    }),
    { alg: 'HS256', typ: 'JWT', kid: '9c1a4d2e-5b6f-4a70-8e91-0123456789ab' },
  );
}

/** A Keycloak client-credentials token (service account `service-account-<client>`). */
export function keycloakServiceAccountToken(
  key: TestKey,
  o: KeycloakClaimOptions & { clientId: string; legacyClientIdClaim?: boolean },
): string {
  return signJws(
    key,
    keycloakAccessClaims({
      ...o,
      azp: o.clientId,
      username: `service-account-${o.clientId}`,
      scope: o.scope ?? 'profile email',
      extra: {
        clientHost: '10.0.0.2',
        clientAddress: '10.0.0.2',
        [o.legacyClientIdClaim ? 'clientId' : 'client_id']: o.clientId,
        ...o.extra,
      },
    }),
  );
}

export interface CognitoClaimOptions {
  readonly region?: string;
  readonly userPoolId?: string;
  readonly clientId?: string;
  readonly sub?: string;
  readonly username?: string;
  readonly groups?: string[];
  readonly scope?: string;
  /** Value of the `keygate_roles` claim (any shape, for malformed tests). */
  readonly roles?: unknown;
  readonly iat?: number;
  readonly lifetime?: number;
  readonly extra?: Claims;
}

export const COGNITO_REGION = 'eu-west-1';
export const COGNITO_POOL_ID = 'eu-west-1_TestPool1';

export function cognitoIssuer(region = COGNITO_REGION, userPoolId = COGNITO_POOL_ID): string {
  return `https://cognito-idp.${region}.amazonaws.com/${userPoolId}`;
}

/** Claims of a Cognito user pool access token (no aud; client_id; token_use access). */
export function cognitoAccessClaims(o: CognitoClaimOptions = {}): Claims {
  const iat = o.iat ?? nowSeconds();
  return clean({
    sub: o.sub ?? '7f3e0000-aaaa-4bbb-8ccc-000000000042',
    'cognito:groups': o.groups,
    iss: cognitoIssuer(o.region, o.userPoolId),
    version: 2,
    client_id: o.clientId ?? 'cognitoclient1',
    origin_jti: 'o1',
    token_use: 'access',
    scope: o.scope ?? 'openid email',
    auth_time: iat,
    exp: iat + (o.lifetime ?? 3600),
    iat,
    jti: 'j1',
    username: o.username ?? 'keycloak_alice',
    keygate_roles: o.roles,
    ...o.extra,
  });
}

/** Cognito signs RS256 with a header `{"kid":"...","alg":"RS256"}`. */
export function cognitoAccessToken(key: TestKey, o: CognitoClaimOptions = {}): string {
  return signJws(key, cognitoAccessClaims(o), { kid: key.kid, alg: key.alg });
}

/** A Cognito ID token: token_use id, aud = the app client. */
export function cognitoIdToken(key: TestKey, o: CognitoClaimOptions = {}): string {
  const claims: Claims = { ...cognitoAccessClaims(o), token_use: 'id', email: 'alice@example.com' };
  // ID tokens carry the app client as aud, and no client_id or scope.
  claims.aud = claims.client_id;
  delete claims.client_id;
  delete claims.scope;
  return signJws(key, claims, { kid: key.kid, alg: key.alg });
}

function clean(claims: Claims): Claims {
  return Object.fromEntries(Object.entries(claims).filter(([, v]) => v !== undefined));
}
