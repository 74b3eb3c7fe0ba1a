/**
 * What the real-Keycloak tests share: a stage pointed at the server under test, realms created through
 * realm-as-code, tokens obtained the ways real clients obtain them (authorization code + PKCE through
 * Keycloak's own login form, password grant, client credentials), an https proxy in front of the realm's
 * certs endpoint that counts JWKS fetches, and the authorizer bundle run as deployed.
 */
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { gunzipSync } from 'node:zlib';
import type KeycloakAdminClient from '@keycloak/keycloak-admin-client';
import { App } from 'aws-cdk-lib';
import type { StageConfig } from '../../common/app-config';
import { DEFAULT_APP_CONFIG } from '../../common/app-config';
import { AUTHORIZER_CONFIG_ENV } from '../../common/authorizer-config';
import { DECISION_MESSAGE } from '../../common/decision-log';
import { KeygateStack } from '../../lib/app/keygate-stack';
import { applyRealm } from '../../realm/apply-realm';
import type { ApplyResult } from '../../realm/apply-realm';
import type { BuildRealmOptions } from '../../realm/realm-definition';
import { buildRealm } from '../../realm/realm-definition';
import { apigwEvent } from '../fixtures/apigw/events';
import type { EventKind } from '../fixtures/apigw/events';
import { testCertificate } from '../support/https-server';

/** The password every test user of a realm the suite creates gets (a throw-away dev server's realm). */
export const TEST_PASSWORD = 'Keygate-test-password-1';

/** A redirect URI the default stage's people client allows (`http://localhost:5173/*`); never served. */
export const REDIRECT_URI = 'http://localhost:5173/callback';

/**
 * The default stage, trusting realm `realm` of the server under test. Keycloak in development mode issues
 * `http://<host>/realms/<realm>`, so the stage opts in to the http issuer; its keys come from
 * `jwksUri` (an https proxy in front of the certs endpoint) when given.
 */
export function testStage(url: string, realm: string, jwksUri?: string): StageConfig {
  const dev = DEFAULT_APP_CONFIG.stages.dev;
  return {
    ...dev,
    // Usage tiers keep their keys in Secrets Manager (the authorizer's config then names them through
    // Fn::Join); this suite is about Keycloak's tokens, so its stages leave the default tiers out.
    usageTiers: undefined,
    keycloak: {
      ...dev.keycloak,
      issuer: `${url}/realms/${realm}`,
      insecureHttpIssuerForDevelopmentOnly: true,
      ...(jwksUri ? { jwksUri } : {}),
    },
  };
}

/** Creates (or brings in line) the stage's realm with its test users, all with TEST_PASSWORD. */
export async function applyStage(
  admin: KeycloakAdminClient,
  stage: StageConfig,
  opts: BuildRealmOptions = {},
): Promise<ApplyResult> {
  const passwords = Object.fromEntries(
    (stage.keycloak.testUsers ?? []).map((u) => [u.username, TEST_PASSWORD]),
  );
  const desired = buildRealm(stage, {
    includeTestUsers: true,
    testUserPasswords: passwords,
    directAccessGrants: true,
    ...opts,
  });
  return applyRealm(admin, desired, {});
}

export interface TokenResponse {
  readonly access_token: string;
  readonly refresh_token?: string;
  readonly id_token?: string;
  readonly token_type: string;
  readonly scope?: string;
}

async function tokenRequest(issuer: string, form: Record<string, string>): Promise<TokenResponse> {
  const res = await fetch(`${issuer}/protocol/openid-connect/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form).toString(),
  });
  const body = (await res.json()) as TokenResponse & { error?: string; error_description?: string };
  if (!res.ok)
    throw new Error(`token request (${form.grant_type}) failed: ${res.status} ${JSON.stringify(body)}`);
  return body;
}

/** Resource-owner password grant (the people client allows it when the realm is applied with direct grants). */
export function passwordGrant(
  issuer: string,
  clientId: string,
  username: string,
  password = TEST_PASSWORD,
  scope = 'openid',
): Promise<TokenResponse> {
  return tokenRequest(issuer, { grant_type: 'password', client_id: clientId, username, password, scope });
}

/** Client credentials of a confidential client (its secret read through the admin API). */
export async function clientCredentials(
  admin: KeycloakAdminClient,
  issuer: string,
  realm: string,
  clientId: string,
): Promise<TokenResponse> {
  const [client] = await admin.clients.find({ realm, clientId });
  const secret = await admin.clients.getClientSecret({ realm, id: client.id! });
  return tokenRequest(issuer, {
    grant_type: 'client_credentials',
    client_id: clientId,
    client_secret: secret.value!,
  });
}

/**
 * A cookie jar good enough for one Keycloak host: cookies by name and Path (each realm sets its own
 * AUTH_SESSION_ID under /realms/<realm>/, and a broker login crosses two realms), sent to requests under
 * their path. Secure is ignored: the dev server is http on 127.0.0.1, a secure context for browsers.
 */
class Cookies {
  private readonly jar = new Map<string, { name: string; path: string; value: string }>();
  take(res: Response, url: string): void {
    for (const c of res.headers.getSetCookie()) {
      const [pair, ...attrs] = c.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const pathAttr = attrs.map((a) => a.trim()).find((a) => /^path=/i.test(a));
      const cookiePath = pathAttr ? pathAttr.slice(5) : new URL(url).pathname.replace(/\/[^/]*$/, '') || '/';
      const key = `${name};${cookiePath}`;
      if (/max-age=0\b|expires=thu, 01 jan 1970/i.test(c)) this.jar.delete(key);
      else this.jar.set(key, { name, path: cookiePath, value });
    }
  }
  header(url: string): string {
    const p = new URL(url).pathname;
    return [...this.jar.values()]
      .filter((c) => p === c.path || p.startsWith(c.path.endsWith('/') ? c.path : `${c.path}/`))
      .sort((a, b) => b.path.length - a.path.length)
      .map((c) => `${c.name}=${c.value}`)
      .join('; ');
  }
}

function htmlUnescape(s: string): string {
  return s
    .replace(/&amp;/g, '&')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>');
}

/** The action URL and hidden/named inputs of the first form on an HTML page. */
export function parseForm(html: string, base: string): { action: string; fields: Record<string, string> } {
  const form = /<form\b[^>]*\baction="([^"]+)"[^>]*>([\s\S]*?)<\/form>/i.exec(html);
  if (!form) throw new Error(`no form on the page:\n${html.slice(0, 2_000)}`);
  const fields: Record<string, string> = {};
  for (const input of form[2].matchAll(/<input\b[^>]*>/gi)) {
    const name = /\bname="([^"]*)"/i.exec(input[0])?.[1];
    const value = /\bvalue="([^"]*)"/i.exec(input[0])?.[1] ?? '';
    if (name) fields[name] = htmlUnescape(value);
  }
  return { action: new URL(htmlUnescape(form[1]), base).toString(), fields };
}

/**
 * A browser-less user agent: follows redirects by hand (keeping cookies) until a response is not a
 * redirect or a redirect leaves for `stopAt` (the client's redirect URI), whose URL it returns.
 */
export class FormAgent {
  readonly cookies = new Cookies();

  async go(
    url: string,
    init: RequestInit = {},
    stopAt?: string,
  ): Promise<{ url: string; res?: Response; html?: string }> {
    let next = url;
    let req: RequestInit = init;
    for (let hops = 0; hops < 20; hops++) {
      if (stopAt && next.startsWith(stopAt)) return { url: next };
      const res = await fetch(next, {
        ...req,
        redirect: 'manual',
        headers: { ...(req.headers as Record<string, string>), cookie: this.cookies.header(next) },
      });
      this.cookies.take(res, next);
      const location = res.headers.get('location');
      if (res.status >= 300 && res.status < 400 && location) {
        next = new URL(location, next).toString();
        req = {};
        continue;
      }
      return { url: next, res, html: await res.text() };
    }
    throw new Error(`more than 20 redirects from ${url}`);
  }

  /** Fills the first form of `html` with `values` and submits it (POST, form-encoded). */
  submit(html: string, pageUrl: string, values: Record<string, string>, stopAt?: string) {
    const { action, fields } = parseForm(html, pageUrl);
    return this.go(
      action,
      {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ ...fields, ...values }).toString(),
      },
      stopAt,
    );
  }
}

/** PKCE (RFC 7636): a verifier and its S256 challenge. */
export function pkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/** The authorization endpoint URL of a code + PKCE request. */
export function authorizeUrl(
  issuer: string,
  clientId: string,
  challenge: string,
  state: string,
  extra: Record<string, string> = {},
): string {
  const q = new URLSearchParams({
    client_id: clientId,
    response_type: 'code',
    scope: 'openid',
    redirect_uri: REDIRECT_URI,
    state,
    code_challenge: challenge,
    code_challenge_method: 'S256',
    ...extra,
  });
  return `${issuer}/protocol/openid-connect/auth?${q}`;
}

/** Exchanges the code of a redirect back to REDIRECT_URI for tokens. */
export async function exchangeCode(
  issuer: string,
  clientId: string,
  redirected: string,
  state: string,
  verifier: string,
): Promise<TokenResponse> {
  const u = new URL(redirected);
  if (u.searchParams.get('state') !== state) throw new Error(`state mismatch in ${redirected}`);
  const code = u.searchParams.get('code');
  if (!code) throw new Error(`no code in ${redirected}`);
  return tokenRequest(issuer, {
    grant_type: 'authorization_code',
    client_id: clientId,
    code,
    redirect_uri: REDIRECT_URI,
    code_verifier: verifier,
  });
}

/**
 * A person signing in: authorization code + PKCE, through Keycloak's own login form over HTTP (the form
 * is parsed, the credentials posted, the redirects followed), then the code exchanged.
 */
export async function signInWithForm(
  issuer: string,
  clientId: string,
  username: string,
  password = TEST_PASSWORD,
): Promise<TokenResponse> {
  const agent = new FormAgent();
  const { verifier, challenge } = pkce();
  const state = randomBytes(12).toString('base64url');
  const page = await agent.go(authorizeUrl(issuer, clientId, challenge, state), {}, REDIRECT_URI);
  if (!page.html) throw new Error('Keycloak did not show its login form');
  const done = await agent.submit(page.html, page.url, { username, password }, REDIRECT_URI);
  if (done.html !== undefined)
    throw new Error(`sign-in did not redirect back:\n${done.html.slice(0, 2_000)}`);
  return exchangeCode(issuer, clientId, done.url, state, verifier);
}

export function decodePayload(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8')) as Record<
    string,
    unknown
  >;
}

export function decodeHeader(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString('utf8')) as Record<
    string,
    unknown
  >;
}

export interface CountingProxy {
  /** `https://127.0.0.1:<port>` */
  readonly url: string;
  /** PEM of the proxy's self-signed certificate. */
  readonly ca: string;
  /** Requests forwarded so far, by path. */
  count(pathname: string): number;
  close(): Promise<void>;
}

/**
 * An https proxy on 127.0.0.1 in front of Keycloak (GET only), counting requests per path: keys reach the
 * authorizer over https, as in production, and the tests see exactly how often it fetched them.
 */
export async function startCountingProxy(target: string): Promise<CountingProxy> {
  const { key, cert } = await testCertificate();
  const counts = new Map<string, number>();
  const server = createServer({ key, cert }, (req, res) => {
    const pathname = new URL(req.url ?? '/', 'https://x').pathname;
    counts.set(pathname, (counts.get(pathname) ?? 0) + 1);
    if (req.method !== 'GET') {
      res.writeHead(405).end();
      return;
    }
    fetch(`${target}${req.url}`)
      .then(async (upstream) => {
        res.writeHead(upstream.status, {
          'content-type': upstream.headers.get('content-type') ?? 'application/json',
        });
        res.end(Buffer.from(await upstream.arrayBuffer()));
      })
      .catch(() => res.writeHead(502).end());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}`,
    ca: cert,
    count: (p) => counts.get(p) ?? 0,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/**
 * The stage `cdk synth` is run for once per suite run (in the global setup): CDK synthesis costs 20-30 s
 * on a loaded 2-core machine, and the stages of the test files differ only in their realm's URLs.
 */
const TEMPLATE_URL = 'http://127.0.0.1:9';
const TEMPLATE_REALM = 'kg-template';
const TEMPLATE_JWKS = `https://127.0.0.1:9/realms/${TEMPLATE_REALM}/protocol/openid-connect/certs`;
export const TEMPLATE_STAGE: StageConfig = testStage(TEMPLATE_URL, TEMPLATE_REALM, TEMPLATE_JWKS);

/**
 * The authorizer's KEYGATE_CONFIG for a stage made by testStage: the synthesized configuration of
 * TEMPLATE_STAGE (`synthesized`) with the template realm's issuer and JWKS URLs replaced by the stage's.
 */
export function authorizerConfigFor(synthesized: string, stage: StageConfig): string {
  const { issuer, jwksUri } = stage.keycloak;
  if (!jwksUri) throw new Error('the stage needs a jwksUri (the https proxy in front of the certs endpoint)');
  const template = TEMPLATE_STAGE.keycloak;
  if (!synthesized.includes(JSON.stringify(template.issuer)))
    throw new Error('not the template configuration');
  // JSON.stringify(...).slice(1, -1): the URL as it appears inside the JSON text.
  const inJson = (s: string) => JSON.stringify(s).slice(1, -1);
  return synthesized
    .replaceAll(inJson(template.jwksUri!), inJson(jwksUri))
    .replaceAll(inJson(template.issuer), inJson(issuer));
}

/** The authorizer's KEYGATE_CONFIG as `cdk synth` writes it for the stage's authorizer function. */
export function synthesizedAuthorizerConfig(stage: StageConfig): string {
  const stack = new KeygateStack(new App(), 'KeygateKc', { stageName: 'kc', config: stage });
  const template = JSON.stringify((stack.node.root as App).synth().getStackByName(stack.stackName).template);
  const resources = (
    JSON.parse(template) as {
      Resources: Record<
        string,
        { Type: string; Properties: { Environment?: { Variables?: Record<string, unknown> } } }
      >;
    }
  ).Resources;
  const values = Object.values(resources)
    .filter((r) => r.Type === 'AWS::Lambda::Function')
    .map((r) => r.Properties.Environment?.Variables?.[AUTHORIZER_CONFIG_ENV])
    .filter((v): v is string => typeof v === 'string');
  if (values.length !== 1)
    throw new Error(`expected one authorizer function with a literal config, found ${values.length}`);
  const v = values[0];
  return v.startsWith('gz:') ? gunzipSync(Buffer.from(v.slice(3), 'base64')).toString('utf8') : v;
}

export interface Decision {
  /** allow | deny | unauthorized, from the decision log line. */
  readonly decision: string;
  readonly reason: string;
  /** The handler's thrown message (`Unauthorized`) or undefined. */
  readonly error?: string;
  readonly log: readonly Record<string, unknown>[];
}

export interface AuthorizerProcess {
  /** Sends one REST API request authorizer event for `method path` (`template` for bound routes). */
  decide(
    token: string | undefined,
    method: string,
    pathname: string,
    template?: string,
    kind?: EventKind,
  ): Promise<Decision>;
  stop(): Promise<void>;
}

/**
 * The authorizer bundle (assets/lambda/authorizer/index.js, built by the global setup) in a process of
 * its own, with the synthesized KEYGATE_CONFIG and the proxy's CA in NODE_EXTRA_CA_CERTS.
 */
export async function startAuthorizer(config: string, ca: string): Promise<AuthorizerProcess> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keygate-kc-'));
  const caFile = path.join(dir, 'ca.pem');
  fs.writeFileSync(caFile, ca);
  const child: ChildProcess = fork(path.join(__dirname, 'authorizer-worker.js'), [], {
    env: { ...process.env, [AUTHORIZER_CONFIG_ENV]: config, NODE_EXTRA_CA_CERTS: caFile, NODE_OPTIONS: '' },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  await new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve());
    child.once('exit', (code) => reject(new Error(`authorizer worker exited with ${code}`)));
  });
  let seq = 0;
  return {
    decide(token, method, pathname, template, kind = 'rest') {
      const id = `req-${++seq}`;
      const event = apigwEvent(kind, {
        method,
        path: pathname,
        template: template ?? pathname,
        authorization: token === undefined ? null : `Bearer ${token}`,
        requestId: id,
      });
      return new Promise((resolve) => {
        const onMessage = (m: { id: string; error?: string; log: Record<string, unknown>[] }) => {
          if (m.id !== id) return;
          child.off('message', onMessage);
          const line = m.log.find((l) => l.message === DECISION_MESSAGE) ?? {};
          resolve({
            decision: String(line.decision),
            reason: String(line.reason),
            error: m.error,
            log: m.log,
          });
        };
        child.on('message', onMessage);
        child.send({ id, event });
      });
    },
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null ? r(undefined) : child.once('exit', r)));
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
