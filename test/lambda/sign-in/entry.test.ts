/**
 * The function's entry (index.ts) as Lambda loads it, in this process: the configuration is read once per
 * container; without a usable one every sign-in route answers 503 and the reason is logged once; secrets
 * come from the Parameters and Secrets extension's HTTP interface (served here on loopback).
 * (test/lambda/sign-in/bundle.test.ts runs the built bundle the same way in a child process.)
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, test, vi } from 'vitest';
import { SIGN_IN_CONFIG_ENV } from '../../../common/sign-in-config';
import { DEFAULT_STATE_COOKIE_NAME } from '../../../common/cookie-names';
import { keyringSecret } from './support';

const ISSUER = 'https://sso.example.com/realms/shop';
const SESSION_TOKEN = 'entry-session-token';

const secrets = new Map([
  ['keys-id', keyringSecret('k1')],
  ['client-secret-id', JSON.stringify({ secret: 'entry-client-secret' })],
]);
const asked: string[] = [];
const extension = createServer((req, res) => {
  const id = new URL(req.url ?? '/', 'http://x').searchParams.get('secretId') ?? '';
  asked.push(id);
  const value = secrets.get(id);
  if (req.headers['x-aws-parameters-secrets-token'] !== SESSION_TOKEN || value === undefined) {
    res.writeHead(400).end();
    return;
  }
  res.writeHead(200).end(JSON.stringify({ SecretString: value }));
});
// A token endpoint that refuses connections: the code exchange fails after the client secret was read.
const closed = createServer();
let closedPort = 0;

beforeAll(async () => {
  await new Promise<void>((r) => extension.listen(0, '127.0.0.1', r));
  await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
  closedPort = (closed.address() as AddressInfo).port;
  await new Promise((r) => closed.close(r));
});
afterAll(async () => {
  extension.closeAllConnections();
  await new Promise((r) => extension.close(r));
});

function config(over: Record<string, unknown> = {}) {
  return {
    version: 1,
    issuer: ISSUER,
    clientId: 'shop-web',
    clientSecretId: 'client-secret-id',
    clientSecretField: 'secret',
    keysSecretId: 'keys-id',
    tokenEndpoint: `https://127.0.0.1:${closedPort}/token`,
    ...over,
  };
}

/** Loads a fresh copy of the entry (a cold container) and collects its JSON log lines. */
async function loadEntry(raw: string | undefined) {
  vi.resetModules();
  vi.stubEnv('POWERTOOLS_DEV', '');
  vi.stubEnv('PARAMETERS_SECRETS_EXTENSION_HTTP_PORT', String((extension.address() as AddressInfo).port));
  vi.stubEnv('AWS_SESSION_TOKEN', SESSION_TOKEN);
  if (raw === undefined) vi.stubEnv(SIGN_IN_CONFIG_ENV, undefined);
  else vi.stubEnv(SIGN_IN_CONFIG_ENV, raw);
  const written: string[] = [];
  const capture = (chunk: string | Uint8Array) => {
    written.push(String(chunk));
    return true;
  };
  vi.spyOn(process.stdout, 'write').mockImplementation(capture);
  vi.spyOn(process.stderr, 'write').mockImplementation(capture);
  const entry = await import('../../../lambda/sign-in/index.js');
  const lines = () =>
    written
      .join('')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { handler: entry.handler, lines, written };
}

function httpEvent(routeKey: string, over: Record<string, unknown> = {}) {
  return {
    version: '2.0',
    routeKey,
    rawPath: `/prod${routeKey.split(' ')[1]}`,
    cookies: [],
    queryStringParameters: {},
    requestContext: {
      domainName: 'h77p4p1v20.execute-api.eu-west-1.amazonaws.com',
      stage: 'prod',
      http: { method: routeKey.split(' ')[0] },
    },
    ...over,
  };
}

const BASE = 'https://h77p4p1v20.execute-api.eu-west-1.amazonaws.com/prod';

describe('sign-in entry (lambda/sign-in/index.ts)', () => {
  afterEach(() => {
    vi.restoreAllMocks();
    vi.unstubAllEnvs();
    asked.length = 0;
  });

  test.each([
    ['no configuration', undefined, [`${SIGN_IN_CONFIG_ENV} is not JSON`]],
    ['a configuration that is not JSON', '{not json', [`${SIGN_IN_CONFIG_ENV} is not JSON`]],
    ['a configuration of the wrong version', JSON.stringify(config({ version: 2 })), ['version must be 1']],
  ])(
    '%s: the reason is logged once at cold start, every route answers 503 config_invalid',
    async (_name, raw, errors) => {
      const { handler, lines } = await loadEntry(raw);
      expect(lines()).toEqual([
        expect.objectContaining({ level: 'ERROR', message: 'sign-in config invalid', errors }),
      ]);
      expect(await handler(httpEvent('GET /auth/login'))).toEqual({
        statusCode: 503,
        headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' },
        cookies: [],
        body: 'Sign-in is not configured.\n',
      });
      expect(lines()).toHaveLength(1);
      expect(asked).toEqual([]);
    },
  );

  test.each([
    ['not an object', 'GET /auth/login'],
    ['a payload 2.0 event without a method', { ...httpEvent('GET /auth/login'), requestContext: {} }],
    [
      'a REST event without its resource',
      { httpMethod: 'GET', requestContext: { domainName: 'x', stage: 'p' } },
    ],
  ])('%s: 400 and one warning with event_unrecognized, configured or not', async (_name, event) => {
    for (const raw of [undefined, JSON.stringify(config())]) {
      const { handler, lines } = await loadEntry(raw);
      const before = lines().length;
      expect(await handler(event)).toEqual({
        statusCode: 400,
        headers: { 'content-type': 'text/plain', 'cache-control': 'no-store' },
        body: 'Bad request.\n',
      });
      expect(lines().slice(before)).toEqual([
        expect.objectContaining({
          level: 'WARN',
          message: 'sign-in',
          reason: 'event_unrecognized',
          status: 400,
        }),
      ]);
      vi.restoreAllMocks();
    }
  });

  test('configured: GET /auth/login sets the signed state cookie from the extension keyring and redirects to the realm', async () => {
    const { handler, lines } = await loadEntry(JSON.stringify(config()));
    expect(lines()).toEqual([]);
    const res = (await handler(
      httpEvent('GET /auth/login', { queryStringParameters: { returnTo: '/me' } }),
    )) as {
      statusCode: number;
      headers: Record<string, string>;
      cookies: string[];
    };
    expect(res.statusCode).toBe(302);
    const location = new URL(res.headers.location);
    expect(`${location.origin}${location.pathname}`).toBe(`${ISSUER}/protocol/openid-connect/auth`);
    expect(location.searchParams.get('client_id')).toBe('shop-web');
    expect(location.searchParams.get('redirect_uri')).toBe(`${BASE}/auth/callback`);
    expect(location.searchParams.get('code_challenge_method')).toBe('S256');
    expect(res.cookies).toHaveLength(1);
    expect(res.cookies[0].startsWith(`${DEFAULT_STATE_COOKIE_NAME}=`)).toBe(true);
    expect(asked).toEqual(['keys-id']);
    // One line per request: route, status and reason, never the cookie or the state.
    expect(lines()).toEqual([
      expect.objectContaining({
        level: 'INFO',
        message: 'sign-in',
        route: '/auth/login',
        status: 302,
        reason: 'login_started',
      }),
    ]);
    expect(JSON.stringify(lines())).not.toContain(location.searchParams.get('state'));
  });

  test('configured: a REST event gets its cookies in multiValueHeaders; an unknown path is 404 route_unknown', async () => {
    const { handler, lines } = await loadEntry(JSON.stringify(config()));
    const rest = (path: string) => ({
      resource: path,
      path,
      httpMethod: 'GET',
      headers: {},
      multiValueHeaders: {},
      queryStringParameters: null,
      requestContext: { domainName: 'k3yg4te001.execute-api.eu-west-1.amazonaws.com', stage: 'prod' },
    });
    const login = (await handler(rest('/auth/login'))) as {
      statusCode: number;
      multiValueHeaders: Record<string, string[]>;
    };
    expect(login.statusCode).toBe(302);
    expect(Object.keys(login.multiValueHeaders)).toEqual(['Set-Cookie']);
    expect(login.multiValueHeaders['Set-Cookie']).toHaveLength(1);
    const unknown = (await handler(rest('/auth/elsewhere'))) as { statusCode: number };
    expect(unknown.statusCode).toBe(404);
    expect(lines().map((l) => [l.route, l.status, l.reason])).toEqual([
      ['/auth/login', 302, 'login_started'],
      ['unknown', 404, 'route_unknown'],
    ]);
  });

  test('configured with a client secret: the callback reads it through the extension before the code exchange', async () => {
    const { handler, lines } = await loadEntry(JSON.stringify(config()));
    const login = (await handler(httpEvent('GET /auth/login'))) as {
      headers: Record<string, string>;
      cookies: string[];
    };
    const state = new URL(login.headers.location).searchParams.get('state') ?? '';
    const stateCookie = login.cookies[0].split(';')[0];
    const res = (await handler(
      httpEvent('GET /auth/callback', {
        cookies: [stateCookie],
        queryStringParameters: { code: 'c0de', state },
      }),
    )) as { statusCode: number };
    // The token endpoint refuses the connection: 502, the client secret having been read first.
    expect(res.statusCode).toBe(502);
    expect(asked).toEqual(['keys-id', 'client-secret-id']);
    expect(lines().map((l) => [l.route, l.status, l.reason])).toEqual([
      ['/auth/login', 302, 'login_started'],
      ['/auth/callback', 502, 'code_exchange_failed'],
    ]);
  });
});
