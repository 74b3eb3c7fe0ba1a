/**
 * The built sign-in bundle (assets/lambda/sign-in, what the construct deploys) in a plain Node.js process,
 * as Lambda loads it: CommonJS, configuration from the environment, secrets from the Parameters and Secrets
 * extension's HTTP interface (served here on loopback).
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildLambdas } from '../../../scripts/build-lambdas';
import { startLocalIssuer } from '../../../local/issuer';
import { TestBrowser } from './browser';
import { keyringSecret } from './support';

const run = promisify(execFile);
const ROOT = path.join(__dirname, '..', '..', '..');
const BUNDLE = path.join(ROOT, 'assets', 'lambda', 'sign-in', 'index.js');

describe('sign-in bundle', () => {
  // One keyring for every invocation (each runs in a fresh process, as cold Lambda containers would).
  const secrets = new Map([
    ['keys-arn', keyringSecret('k1')],
    ['client-secret-arn', JSON.stringify({ secret: 'bff-bundle-secret' })],
  ]);
  const server = createServer((req, res) => {
    const id = new URL(req.url ?? '/', 'http://x').searchParams.get('secretId') ?? '';
    const value = secrets.get(id);
    if (req.headers['x-aws-parameters-secrets-token'] !== 'test-session-token' || value === undefined) {
      res.writeHead(400).end();
      return;
    }
    res.writeHead(200).end(JSON.stringify({ SecretString: value }));
  });
  let port = 0;
  beforeAll(async () => {
    // Always from the current sources (atomic, byte-stable writes: concurrent builds agree).
    await buildLambdas();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  async function invoke(
    event: unknown,
    config: unknown,
    extraEnv: Record<string, string> = {},
  ): Promise<Record<string, unknown>> {
    const script = `require(${JSON.stringify(BUNDLE)}).handler(JSON.parse(process.argv[1])).then((r) => process.stdout.write('\\nRESULT ' + JSON.stringify(r)))`;
    const { stdout } = await run(process.execPath, ['-e', script, JSON.stringify(event)], {
      env: {
        PATH: process.env.PATH,
        KEYGATE_SIGN_IN_CONFIG: JSON.stringify(config),
        PARAMETERS_SECRETS_EXTENSION_HTTP_PORT: String(port),
        AWS_SESSION_TOKEN: 'test-session-token',
        ...extraEnv,
      },
    });
    const line = stdout.split('\n').find((l) => l.startsWith('RESULT '));
    if (!line) throw new Error(`no result in ${stdout}`);
    // The function's own log lines never carry a cookie or a token.
    const logs = stdout.slice(0, stdout.indexOf('\nRESULT '));
    expect(logs).not.toMatch(/__Host-keygate_login=|eyJ|state=/);
    return { ...(JSON.parse(line.slice(7)) as Record<string, unknown>), logs };
  }

  const config = {
    version: 1,
    issuer: 'https://sso.example.com/realms/ml',
    clientId: 'keygate-web',
    keysSecretId: 'keys-arn',
  };
  const event = {
    version: '2.0',
    routeKey: 'GET /auth/login',
    rawPath: '/auth/login',
    rawQueryString: 'returnTo=%2Fme',
    queryStringParameters: { returnTo: '/me' },
    requestContext: {
      domainName: 'h77p4p1v20.execute-api.eu-west-1.amazonaws.com',
      stage: '$default',
      http: { method: 'GET' },
    },
  };

  it('answers /auth/login with a redirect to Keycloak and a state cookie, keys read through the extension', async () => {
    const res = await invoke(event, config);
    expect(res.statusCode).toBe(302);
    const location = new URL((res.headers as Record<string, string>).location);
    expect(location.origin + location.pathname).toBe(
      'https://sso.example.com/realms/ml/protocol/openid-connect/auth',
    );
    expect(location.searchParams.get('redirect_uri')).toBe(
      'https://h77p4p1v20.execute-api.eu-west-1.amazonaws.com/auth/callback',
    );
    expect(res.logs).toContain('"message":"sign-in"');
    expect(res.cookies).toEqual([
      expect.stringMatching(/^__Host-keygate_login=k1\..+; HttpOnly; Secure; SameSite=Lax$/),
    ]);
  });

  it('answers 503 with an invalid configuration, and 400 to an unknown event', async () => {
    expect(await invoke(event, { ...config, issuer: 'http://insecure' })).toMatchObject({ statusCode: 503 });
    expect(await invoke({ nonsense: true }, config)).toMatchObject({ statusCode: 400 });
  });

  it('signs in end to end as a confidential client: state cookie, real provider, client secret and keys from the extension', async () => {
    const host = 'h77p4p1v20.execute-api.eu-west-1.amazonaws.com';
    const app = `https://${host}`;
    const issuer = await startLocalIssuer({
      realm: {
        realm: 'bundle',
        enabled: true,
        roles: { realm: [{ name: 'model-user' }] },
        clients: [
          {
            clientId: 'keygate-bff',
            publicClient: false,
            standardFlowEnabled: true,
            redirectUris: [`${app}/auth/callback`],
          },
        ],
        users: [{ username: 'dana', realmRoles: ['model-user'] }],
      },
      passwords: { dana: 'dana-bundle-password' },
      clientSecrets: { 'keygate-bff': 'bff-bundle-secret' },
    });
    const caFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'keygate-ca-')), 'ca.pem');
    fs.writeFileSync(caFile, issuer.ca ?? '');
    try {
      const cfg = {
        version: 1,
        issuer: issuer.issuer,
        clientId: 'keygate-bff',
        clientSecretId: 'client-secret-arn',
        clientSecretField: 'secret',
        keysSecretId: 'keys-arn',
      };
      // The process trusts the test issuer's certificate the way Node does at start-up: no TLS check is off.
      const env = { NODE_EXTRA_CA_CERTS: caFile };
      const httpEvent = (routeKey: string, query: Record<string, string>, cookies: string[] = []) => ({
        version: '2.0',
        routeKey,
        rawPath: routeKey.split(' ')[1],
        rawQueryString: new URLSearchParams(query).toString(),
        queryStringParameters: query,
        cookies,
        requestContext: { domainName: host, stage: '$default', http: { method: 'GET' } },
      });
      const login = await invoke(httpEvent('GET /auth/login', { returnTo: '/me' }), cfg, env);
      expect(login.statusCode).toBe(302);
      const stateCookie = (login.cookies as string[])[0].split(';')[0];
      const browser = new TestBrowser(issuer.ca, app);
      const callbackUrl = new URL(
        await browser.signInAtIdp(
          (login.headers as Record<string, string>).location,
          'dana',
          'dana-bundle-password',
        ),
      );
      const done = await invoke(
        httpEvent('GET /auth/callback', Object.fromEntries(callbackUrl.searchParams), [stateCookie]),
        cfg,
        env,
      );
      expect(done.statusCode).toBe(302);
      expect((done.headers as Record<string, string>).location).toBe(`${app}/me`);
      expect(done.cookies).toContainEqual(expect.stringMatching(/^__Host-keygate_session=1~v1\.k1\./));
      expect(done.logs).toContain('"reason":"signed_in"');
      // Replaying the callback without the (now deleted) state cookie is refused.
      const replay = await invoke(
        httpEvent('GET /auth/callback', Object.fromEntries(callbackUrl.searchParams)),
        cfg,
        env,
      );
      expect(replay.statusCode).toBe(400);
    } finally {
      await issuer.close();
    }
  });
});
