import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cachedSecret,
  getSecretString,
  secretsExtensionKeyProvider,
} from '../../../lambda/shared/secrets-extension';
import { keyringSecret } from './support';

/**
 * A loopback server speaking the Parameters and Secrets Lambda Extension's HTTP interface
 * (GET /secretsmanager/get?secretId=..., X-Aws-Parameters-Secrets-Token), so the real client code runs.
 */
describe('Parameters and Secrets extension client', () => {
  const secrets = new Map<string, string>([
    ['keys', keyringSecret('k1')],
    ['plain', 'client-secret-value'],
  ]);
  const seen: { token?: string; secretId?: string | null }[] = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    seen.push({
      token: req.headers['x-aws-parameters-secrets-token'] as string,
      secretId: url.searchParams.get('secretId'),
    });
    if (url.pathname !== '/secretsmanager/get') return void res.writeHead(404).end();
    if (req.headers['x-aws-parameters-secrets-token'] !== 'session-token')
      return void res.writeHead(401).end();
    const id = url.searchParams.get('secretId') ?? '';
    if (id === 'slow') return; // never answers
    if (id === 'bad-json') return void res.writeHead(200).end('{');
    const value = secrets.get(id);
    if (value === undefined) return void res.writeHead(400).end('{"message":"not found"}');
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ Name: id, SecretString: value }));
  });
  let port = 0;
  beforeAll(async () => {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  const opts = () => ({ port, sessionToken: 'session-token', timeoutMs: 300 });

  it('reads a secret with the function session token', async () => {
    expect(await getSecretString('plain', opts())).toBe('client-secret-value');
    expect(seen.at(-1)).toEqual({ token: 'session-token', secretId: 'plain' });
  });

  it('encodes the secret id (an ARN has colons)', async () => {
    await expect(getSecretString('arn:aws:secretsmanager:eu-west-1:1:secret:x', opts())).rejects.toThrow(
      'secrets extension answered 400',
    );
    expect(seen.at(-1)?.secretId).toBe('arn:aws:secretsmanager:eu-west-1:1:secret:x');
  });

  it.each([
    ['without the session token', 'plain', { sessionToken: 'wrong' }, 'secrets extension answered 401'],
    ['on a bad answer', 'bad-json', {}, 'secrets extension answer has no SecretString'],
    ['on a timeout', 'slow', {}, 'secrets extension timed out'],
  ])('fails %s, without the value in the message', async (_name, id, change, message) => {
    await expect(getSecretString(id, { ...opts(), ...change })).rejects.toThrow(message);
  });

  it('fails when nothing listens', async () => {
    await expect(getSecretString('plain', { ...opts(), port: 1 })).rejects.toThrow(
      'secrets extension unreachable',
    );
  });

  it('builds the keyring from the secret', async () => {
    const ring = await secretsExtensionKeyProvider('keys', opts()).keyring();
    expect(ring.current.id).toBe('k1');
  });
});

describe('cachedSecret', () => {
  it('loads once per TTL, reloads after it, and serves the last good value through a brief failure', async () => {
    let t = 0;
    let calls = 0;
    let fail = false;
    const get = cachedSecret(
      async () => {
        calls++;
        if (fail) throw new Error('down');
        return `v${calls}`;
      },
      { ttlMs: 100, maxStaleMs: 1000, now: () => t },
    );
    expect(await get()).toBe('v1');
    t = 50;
    expect(await get()).toBe('v1');
    t = 150;
    expect(await get()).toBe('v2');
    fail = true;
    t = 300;
    expect(await get()).toBe('v2');
    t = 2000;
    await expect(get()).rejects.toThrow('down');
    expect(calls).toBe(4);
  });

  it('shares one load between concurrent callers', async () => {
    let calls = 0;
    const get = cachedSecret(async () => {
      calls++;
      await new Promise((r) => setTimeout(r, 10));
      return 'v';
    });
    await Promise.all([get(), get(), get()]);
    expect(calls).toBe(1);
  });
});
