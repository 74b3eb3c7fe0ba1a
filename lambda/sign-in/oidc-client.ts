/**
 * The relying-party side of OpenID Connect against a Keycloak realm: the code exchange and the refresh at
 * the token endpoint, ID token verification (aws-jwt-verify — the only JWT library this function uses), and
 * the end-session URL. Endpoint paths are Keycloak's:
 * https://www.keycloak.org/docs/latest/securing_apps/#available-endpoints
 */
import type { StepUpLogin } from '../../common/step-up';
import { JwtVerifier } from 'aws-jwt-verify';
import { SimpleJwksCache } from 'aws-jwt-verify/jwk';
import type { Fetcher } from 'aws-jwt-verify/https';
import { BoundedFetcher, JwksFetchError } from '../shared/bounded-fetcher';
import { postForm } from './http-form';
import type { FormPostOptions, FormPostResponse } from './http-form';
import type { SignInConfig } from './sign-in-config';
import { endpointsOf } from './sign-in-config';
import { SignInError } from './errors';

export interface TokenSet {
  readonly accessToken: string;
  readonly refreshToken?: string;
  readonly idToken?: string;
  /** Seconds. */
  readonly expiresIn: number;
  /** Keycloak's `refresh_expires_in` (seconds; 0 for offline tokens). */
  readonly refreshExpiresIn?: number;
}

export class TokenEndpointError extends SignInError {
  constructor(
    message: string,
    /** OAuth `error` code from the response, when there is one (never the description: it may echo input). */
    readonly oauthError?: string,
    options?: { readonly cause?: unknown },
  ) {
    super(message, options);
  }
}
/** The ID token did not verify. No cause: aws-jwt-verify's errors carry claim values. */
export class IdTokenError extends SignInError {}
export class NonceMismatchError extends SignInError {}

export interface OidcClient {
  exchangeCode(code: string, codeVerifier: string, redirectUri: string): Promise<TokenSet>;
  refresh(refreshToken: string): Promise<TokenSet>;
  /** Verifies signature, iss, aud, exp, typ and (when given) nonce. Throws IdTokenError / NonceMismatchError. */
  verifyIdToken(idToken: string, expectedNonce?: string): Promise<void>;
  authorizationUrl(params: {
    state: string;
    nonce: string;
    codeChallenge: string;
    redirectUri: string;
    /** Step-up: the level and sign-in age to ask for (common/step-up.ts). @default - none */
    stepUp?: StepUpLogin;
  }): string;
  endSessionUrl(params: { idTokenHint?: string; postLogoutRedirectUri: string }): string;
}

export interface OidcClientOptions {
  /** The confidential client's secret; undefined for a public client. */
  readonly clientSecret?: () => Promise<string | undefined>;
  /** Extra trusted CAs for the token and JWKS endpoints (tests). */
  readonly ca?: string | readonly string[];
  /** @default 3000 */
  readonly timeoutMs?: number;
  /**
   * Transport for the token endpoint and the JWKS: the local stack passes one that also reaches a
   * development Keycloak over http on loopback. @default - https only (http-form.ts, aws-jwt-verify)
   */
  readonly transport?: {
    readonly postForm: (
      url: string,
      form: URLSearchParams,
      opts: FormPostOptions,
    ) => Promise<FormPostResponse>;
    readonly fetcher: Fetcher;
  };
}

export function createOidcClient(config: SignInConfig, opts: OidcClientOptions = {}): OidcClient {
  const ep = endpointsOf(config);
  const timeoutMs = opts.timeoutMs ?? 3000;
  // Bounded in size and total time (bounded-fetcher.ts): a JWKS endpoint cannot fill the function's memory.
  const fetcher = opts.transport?.fetcher ?? new BoundedFetcher({ timeoutMs, ca: opts.ca });
  const post = opts.transport?.postForm ?? postForm;
  const verifier = JwtVerifier.create(
    {
      issuer: config.issuer,
      audience: config.clientId,
      jwksUri: ep.jwksUri,
      graceSeconds: 30,
    },
    { jwksCache: new SimpleJwksCache({ fetcher }) },
  );

  async function tokenRequest(form: URLSearchParams): Promise<TokenSet> {
    const headers: Record<string, string> = {};
    const secret = await opts.clientSecret?.();
    if (secret !== undefined) {
      // client_secret_basic: RFC 6749 §2.3.1 — id and secret form-urlencoded before base64.
      const id = encodeURIComponent(config.clientId);
      headers.authorization = `Basic ${Buffer.from(`${id}:${encodeURIComponent(secret)}`).toString('base64')}`;
    } else {
      form.set('client_id', config.clientId);
    }
    let res;
    try {
      res = await post(ep.tokenEndpoint, form, { headers, ca: opts.ca, timeoutMs });
    } catch (e) {
      throw new TokenEndpointError('token endpoint unreachable', undefined, { cause: e });
    }
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(res.body) as Record<string, unknown>;
    } catch {
      throw new TokenEndpointError(`token endpoint answered ${res.status} without JSON`);
    }
    if (res.status !== 200) {
      const code =
        typeof body.error === 'string' && /^[a-z_]{1,64}$/.test(body.error) ? body.error : undefined;
      throw new TokenEndpointError(`token endpoint answered ${res.status}`, code);
    }
    if (typeof body.access_token !== 'string' || body.access_token.length === 0) {
      throw new TokenEndpointError('token response without access_token');
    }
    if (typeof body.token_type !== 'string' || body.token_type.toLowerCase() !== 'bearer') {
      throw new TokenEndpointError('token response token_type is not Bearer');
    }
    const expiresIn = typeof body.expires_in === 'number' && body.expires_in > 0 ? body.expires_in : 60;
    return {
      accessToken: body.access_token,
      refreshToken: typeof body.refresh_token === 'string' ? body.refresh_token : undefined,
      idToken: typeof body.id_token === 'string' ? body.id_token : undefined,
      expiresIn,
      refreshExpiresIn: typeof body.refresh_expires_in === 'number' ? body.refresh_expires_in : undefined,
    };
  }

  return {
    exchangeCode(code, codeVerifier, redirectUri) {
      return tokenRequest(
        new URLSearchParams({
          grant_type: 'authorization_code',
          code,
          code_verifier: codeVerifier,
          redirect_uri: redirectUri,
        }),
      );
    },
    refresh(refreshToken) {
      return tokenRequest(new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken }));
    },
    async verifyIdToken(idToken, expectedNonce) {
      let payload: Record<string, unknown>;
      try {
        payload = (await verifier.verify(idToken)) as Record<string, unknown>;
      } catch (err) {
        // The JWKS fetch's own errors say what went wrong with the endpoint (too large, too slow), and
        // carry no token content.
        if (err instanceof JwksFetchError) throw new IdTokenError(err.message, { cause: err });
        // aws-jwt-verify errors carry claim values: never propagate their messages.
        throw new IdTokenError('ID token did not verify');
      }
      // Keycloak marks ID tokens typ "ID"; providers without typ are accepted on the other checks.
      if (payload.typ !== undefined && payload.typ !== 'ID')
        throw new IdTokenError('token is not an ID token');
      if (payload.azp !== undefined && payload.azp !== config.clientId)
        throw new IdTokenError('ID token azp mismatch');
      if (expectedNonce !== undefined && payload.nonce !== expectedNonce)
        throw new NonceMismatchError('nonce mismatch');
    },
    authorizationUrl({ state, nonce, codeChallenge, redirectUri, stepUp }) {
      const u = new URL(ep.authorizationEndpoint);
      u.searchParams.set('response_type', 'code');
      u.searchParams.set('client_id', config.clientId);
      u.searchParams.set('redirect_uri', redirectUri);
      u.searchParams.set('scope', (config.scopes ?? ['openid']).join(' '));
      u.searchParams.set('state', state);
      u.searchParams.set('nonce', nonce);
      u.searchParams.set('code_challenge', codeChallenge);
      u.searchParams.set('code_challenge_method', 'S256');
      // Keycloak steps the session up to the level mapped to these acr values, and re-authenticates a
      // sign-in older than max_age (https://www.keycloak.org/docs/latest/server_admin/#_step-up-flow).
      if (stepUp?.acrValues !== undefined) u.searchParams.set('acr_values', stepUp.acrValues);
      if (stepUp?.maxAge !== undefined) u.searchParams.set('max_age', String(stepUp.maxAge));
      return u.toString();
    },
    endSessionUrl({ idTokenHint, postLogoutRedirectUri }) {
      // RP-initiated logout: Keycloak >= 18 requires id_token_hint or client_id with post_logout_redirect_uri.
      const u = new URL(ep.endSessionEndpoint);
      u.searchParams.set('client_id', config.clientId);
      u.searchParams.set('post_logout_redirect_uri', postLogoutRedirectUri);
      if (idTokenHint) u.searchParams.set('id_token_hint', idTokenHint);
      return u.toString();
    },
  };
}
