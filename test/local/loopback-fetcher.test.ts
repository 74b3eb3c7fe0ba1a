/** The local stack's JWKS fetcher: http only to a loopback address; https through the authorizer's own fetcher. */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Fetcher } from '../../lambda/authorizer/verify-token';
import { LoopbackHttpFetcher } from '../../local/gateway/loopback-fetcher';

describe('LoopbackHttpFetcher', () => {
  const server = createServer((_req, res) => res.end('{"keys":[]}'));
  let port = 0;
  const httpsCalls: string[] = [];
  const https: Fetcher = {
    fetch: (uri) => {
      httpsCalls.push(uri);
      return Promise.resolve(new TextEncoder().encode('{"keys":[1]}').buffer);
    },
  };
  const fetcher = new LoopbackHttpFetcher(https, 2_000);
  beforeAll(async () => {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('fetches over http from 127.0.0.1', async () => {
    const body = await fetcher.fetch(`http://127.0.0.1:${port}/realms/k/protocol/openid-connect/certs`);
    expect(new TextDecoder().decode(body)).toBe('{"keys":[]}');
    expect(httpsCalls).toEqual([]);
  });

  it('refuses http to any other host', async () => {
    await expect(fetcher.fetch('http://sso.example.com/certs')).rejects.toThrow(
      'refusing to fetch keys over http from a non-loopback address: http://sso.example.com/certs',
    );
  });

  it('hands https to the authorizer fetcher', async () => {
    await fetcher.fetch('https://sso.example.com/certs');
    expect(httpsCalls).toEqual(['https://sso.example.com/certs']);
  });
});
