/**
 * The built sign-in bundle (assets/lambda/sign-in, what the construct deploys) in a plain Node.js process,
 * as Lambda loads it: CommonJS, configuration from the environment, secrets from the Parameters and Secrets
 * extension's HTTP interface (served here on loopback).
 */
import { execFile } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildLambdas } from '../../../scripts/build-lambdas';
import { keyringSecret } from './support';

const run = promisify(execFile);
const ROOT = path.join(__dirname, '..', '..', '..');
const BUNDLE = path.join(ROOT, 'assets', 'lambda', 'sign-in', 'index.js');

describe('sign-in bundle', () => {
  const server = createServer((req, res) => {
    const id = new URL(req.url ?? '/', 'http://x').searchParams.get('secretId');
    if (req.headers['x-aws-parameters-secrets-token'] !== 'test-session-token' || id !== 'keys-arn') {
      res.writeHead(400).end();
      return;
    }
    res.writeHead(200).end(JSON.stringify({ SecretString: keyringSecret('k1') }));
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

  async function invoke(event: unknown, config: unknown): Promise<Record<string, unknown>> {
    const script = `require(${JSON.stringify(BUNDLE)}).handler(JSON.parse(process.argv[1])).then((r) => process.stdout.write('\\nRESULT ' + JSON.stringify(r)))`;
    const { stdout } = await run(process.execPath, ['-e', script, JSON.stringify(event)], {
      env: {
        PATH: process.env.PATH,
        KEYGATE_SIGN_IN_CONFIG: JSON.stringify(config),
        PARAMETERS_SECRETS_EXTENSION_HTTP_PORT: String(port),
        AWS_SESSION_TOKEN: 'test-session-token',
      },
    });
    const line = stdout.split('\n').find((l) => l.startsWith('RESULT '));
    if (!line) throw new Error(`no result in ${stdout}`);
    // The function's own log lines never carry a cookie or a token.
    const logs = stdout.slice(0, stdout.indexOf('\nRESULT '));
    expect(logs).not.toMatch(/keygate_login=|eyJ|state=/);
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
      expect.stringMatching(/^keygate_login=k1\..+; HttpOnly; Secure; SameSite=Lax$/),
    ]);
  });

  it('answers 503 with an invalid configuration, and 400 to an unknown event', async () => {
    expect(await invoke(event, { ...config, issuer: 'http://insecure' })).toMatchObject({ statusCode: 503 });
    expect(await invoke({ nonsense: true }, config)).toMatchObject({ statusCode: 400 });
  });
});
