/**
 * The kinds of caller the local stack serves, as a client would act: a person signing in (password grant
 * for the realm's test users), a service account (client credentials), an IAM principal (SigV4 with
 * @smithy/signature-v4), and the tokens an API must refuse (expired, refresh, ID). Used by the demo, the
 * end-to-end tests and the gateway benchmark.
 */
import { Sha256 } from '@aws-crypto/sha256-js';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import type { StageConfig } from '../common/app-config';
import type { StackIssuer } from './stack-issuer';
import type { LocalIamCredential } from './gateway/sigv4-check';
import { basicAuth, postForm, request } from './http/request';
import type { Response } from './http/request';

/** What the callers need of a stack: its issuer, the stage's clients, the gateway's URL and region. */
export interface CallerStack {
  readonly issuer: Pick<StackIssuer, 'urls' | 'ca' | 'passwords' | 'clientSecrets'>;
  readonly stage: Pick<StageConfig, 'keycloak'>;
  readonly gateway: { readonly url: string };
  readonly region: string;
}

export interface TokenSet {
  readonly access_token: string;
  readonly refresh_token?: string;
  readonly id_token?: string;
}

async function tokenRequest(
  stack: CallerStack,
  form: Record<string, string>,
  headers: Record<string, string> = {},
): Promise<TokenSet> {
  const res = await postForm(stack.issuer.urls.token, form, { ca: stack.issuer.ca, headers });
  if (res.status !== 200) throw new Error(`token request failed: ${res.status} ${res.json().error ?? ''}`);
  return res.json<TokenSet & Record<string, unknown>>();
}

/** A person's tokens: the realm's test user signs in through the people client (direct access grant). */
export function userTokens(stack: CallerStack, username: string, scope = 'openid'): Promise<TokenSet> {
  return tokenRequest(stack, {
    grant_type: 'password',
    client_id: stack.stage.keycloak.peopleClientId,
    username,
    password: stack.issuer.passwords[username],
    scope,
  });
}

/** A service account's access token (client credentials). */
export function serviceAccountToken(stack: CallerStack, clientId: string): Promise<TokenSet> {
  return tokenRequest(
    stack,
    { grant_type: 'client_credentials' },
    { authorization: basicAuth(clientId, stack.issuer.clientSecrets[clientId]) },
  );
}

export interface CallOptions {
  readonly body?: string;
  /** Bearer token for the Authorization header. */
  readonly token?: string;
  /** Sign with these IAM credentials instead. */
  readonly iam?: LocalIamCredential;
  /** Signing time (for stale-signature cases). @default now */
  readonly signedAt?: Date;
  readonly headers?: Record<string, string>;
}

/** Signature Version 4 headers for a request to the gateway (service `execute-api`). */
export async function sigV4Headers(
  url: string,
  method: string,
  credential: Pick<LocalIamCredential, 'accessKeyId' | 'secretAccessKey' | 'sessionToken'>,
  region: string,
  body?: string,
  headers: Record<string, string> = {},
  signingDate = new Date(),
): Promise<Record<string, string>> {
  const u = new URL(url);
  const signer = new SignatureV4({
    credentials: credential,
    region,
    service: 'execute-api',
    sha256: Sha256,
    applyChecksum: false,
  });
  const req = new HttpRequest({
    method,
    protocol: u.protocol,
    hostname: u.hostname,
    port: Number(u.port),
    path: u.pathname,
    query: Object.fromEntries(u.searchParams),
    headers: { host: u.host, ...headers },
    body,
  });
  const signed = await signer.sign(req, { signingDate });
  return Object.fromEntries(Object.entries(signed.headers).map(([k, v]) => [k, String(v)]));
}

/** Calls a route of the local gateway. */
export async function call(
  stack: CallerStack,
  method: string,
  path: string,
  options: CallOptions = {},
): Promise<Response> {
  const url = `${stack.gateway.url}${path}`;
  let headers: Record<string, string> = {
    ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
    ...options.headers,
  };
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  if (options.iam) {
    headers = await sigV4Headers(
      url,
      method,
      options.iam,
      stack.region,
      options.body,
      headers,
      options.signedAt,
    );
  }
  return request(url, { method, headers, body: options.body });
}
