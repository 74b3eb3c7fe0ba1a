/**
 * The usage keys read through the Parameters and Secrets Lambda Extension's HTTP interface, served here by
 * a real HTTP server on 127.0.0.1 answering as the extension does
 * (https://docs.aws.amazon.com/secretsmanager/latest/userguide/retrieving-secrets_lambda.html).
 */
import { createServer } from 'node:http';
import type { AddressInfo, Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createUsageKeys } from '../../../lambda/authorizer/usage-keys';

const SESSION_TOKEN = 'session-token-of-the-function';
const VALUES: Record<string, string> = {
  'arn:aws:secretsmanager:eu-west-1:111122223333:secret:free': 'FreeKeyValue0000000000000000000000000001',
  'arn:aws:secretsmanager:eu-west-1:111122223333:secret:team': 'TeamKeyValue0000000000000000000000000002',
};

describe('usage keys through the secrets extension', () => {
  let server: Server;
  const seen: { secretId: string | null; token: string | undefined }[] = [];
  const saved = {
    port: process.env.PARAMETERS_SECRETS_EXTENSION_HTTP_PORT,
    token: process.env.AWS_SESSION_TOKEN,
  };

  beforeAll(async () => {
    server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const secretId = url.searchParams.get('secretId');
      const token = req.headers['x-aws-parameters-secrets-token'] as string | undefined;
      seen.push({ secretId, token });
      const value = secretId === null ? undefined : VALUES[secretId];
      if (url.pathname !== '/secretsmanager/get' || token !== SESSION_TOKEN || value === undefined) {
        res.writeHead(400).end('{}');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ SecretString: value }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    process.env.PARAMETERS_SECRETS_EXTENSION_HTTP_PORT = String((server.address() as AddressInfo).port);
    process.env.AWS_SESSION_TOKEN = SESSION_TOKEN;
  });
  afterAll(async () => {
    for (const [k, v] of [
      ['PARAMETERS_SECRETS_EXTENSION_HTTP_PORT', saved.port],
      ['AWS_SESSION_TOKEN', saved.token],
    ] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  test('reads each tier key once with the function session token, then answers from memory', async () => {
    // GIVEN two tiers whose keys live in two secrets
    seen.length = 0;
    const keys = createUsageKeys({
      defaultTier: 'free',
      assignments: [{ group: '/team', tier: 'team' }],
      keySecrets: {
        free: 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:free',
        team: 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:team',
      },
    });
    // WHEN loaded three times
    await keys.load();
    await keys.load();
    await keys.load();
    // THEN the extension was asked once per secret, with the session token
    expect(seen.map((s) => s.token)).toEqual([SESSION_TOKEN, SESSION_TOKEN]);
    expect(seen.map((s) => s.secretId).sort()).toEqual(Object.keys(VALUES).sort());
    expect(keys.keyFor({ realmRoles: [], clientRoles: [], groups: ['/team'] })).toBe(
      'TeamKeyValue0000000000000000000000000002',
    );
    expect(keys.keyFor({ realmRoles: [], clientRoles: [], groups: [] })).toBe(
      'FreeKeyValue0000000000000000000000000001',
    );
  });

  test('an unknown secret fails the load, without any value in the error', async () => {
    const keys = createUsageKeys({
      defaultTier: 'free',
      assignments: [],
      keySecrets: { free: 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:missing' },
    });
    await expect(keys.load()).rejects.toThrow('secrets extension answered 400');
  });
});
