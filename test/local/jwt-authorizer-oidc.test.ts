/**
 * The JWT authorizer stand-in for a plain OpenID Connect issuer: its discovery document read over real
 * HTTPS on 127.0.0.1, every way it can be wrong failing closed, and a failed discovery tried again on the
 * next request.
 */
import { createServer } from 'node:https';
import type { Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { SimpleFetcher } from 'aws-jwt-verify/https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localJwtAuthorizer } from '../../local/assembly/jwt-authorizer';
import { discoverJwksUri, discoveryUrl, OidcDiscoveryError } from '../../local/assembly/jwt-authorizer-oidc';
import { testCertificate } from '../support/https-server';
import { generateSigningKey, jwksOf } from '../support/keys';
import type { TestKey } from '../support/keys';
import { nowSeconds, signJws } from '../support/tokens';

let server: Server;
let base: string;
let ca: string;
let key: TestKey;
/** What the discovery path answers: status and body. */
let discovery: { status: number; body: string };

beforeAll(async () => {
  const tls = await testCertificate();
  ca = tls.cert;
  key = await generateSigningKey('RS256');
  server = createServer(tls, (req, res) => {
    if (req.url === '/idp/.well-known/openid-configuration') {
      res.writeHead(discovery.status, { 'content-type': 'application/json' }).end(discovery.body);
    } else if (req.url === '/idp/keys') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(jwksOf(key)));
    } else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  base = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
});

const issuer = () => `${base}/idp`;
const good = () => ({
  status: 200,
  body: JSON.stringify({ issuer: issuer(), jwks_uri: `${issuer()}/keys` }),
});
const fetcher = () => new SimpleFetcher({ defaultRequestOptions: { ca } });

describe('discoverJwksUri', () => {
  it('appends the well-known path to the issuer, a trailing slash removed first', () => {
    expect(discoveryUrl('https://idp.example/')).toBe('https://idp.example/.well-known/openid-configuration');
    expect(discoveryUrl('https://idp.example/t/1')).toBe(
      'https://idp.example/t/1/.well-known/openid-configuration',
    );
  });

  it("returns the document's jwks_uri", async () => {
    discovery = good();
    await expect(discoverJwksUri(issuer())(fetcher())).resolves.toBe(`${issuer()}/keys`);
  });

  it.each([
    [
      'another issuer',
      () => ({
        status: 200,
        body: JSON.stringify({ issuer: 'https://evil.example', jwks_uri: `${issuer()}/keys` }),
      }),
      /names the issuer https:\/\/evil\.example, not https:\/\/127\.0\.0\.1:\d+\/idp$/,
    ],
    [
      'an http jwks_uri',
      () => ({ status: 200, body: JSON.stringify({ issuer: issuer(), jwks_uri: 'http://127.0.0.1/keys' }) }),
      /has no https jwks_uri$/,
    ],
    [
      'no jwks_uri',
      () => ({ status: 200, body: JSON.stringify({ issuer: issuer() }) }),
      /has no https jwks_uri$/,
    ],
    [
      'not JSON',
      () => ({ status: 200, body: '<html>' }),
      /^cannot read https:\/\/127\.0\.0\.1:\d+\/idp\/\.well-known\/openid-configuration: /,
    ],
    ['a 500', () => ({ status: 500, body: '{}' }), /^cannot read .*openid-configuration: /],
  ])('fails closed on %s', async (_name, answer, message) => {
    discovery = answer();
    const error = await discoverJwksUri(issuer())(fetcher()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OidcDiscoveryError);
    expect((error as Error).message).toMatch(message);
  });
});

describe('localJwtAuthorizer with discovery', () => {
  it('answers 401 while discovery fails and verifies once it succeeds', async () => {
    const authorizer = localJwtAuthorizer({
      issuer: issuer(),
      jwksUri: discoverJwksUri(issuer()),
      audience: ['api'],
      scopes: {},
      ca,
    });
    const token = signJws(
      key,
      { iss: issuer(), aud: 'api', sub: 'u', iat: nowSeconds(), exp: nowSeconds() + 60 },
      { alg: 'RS256', kid: key.kid },
    );
    const event = { identitySource: [`Bearer ${token}`], routeKey: 'GET /x' };
    discovery = { status: 503, body: '' };
    await expect(authorizer(event)).rejects.toThrow(/^Unauthorized$/);
    discovery = good();
    await expect(authorizer(event)).resolves.toMatchObject({ isAuthorized: true });
  });
});
