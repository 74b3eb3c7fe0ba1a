/**
 * The shared JWKS fetch (authorizer and sign-in function) is bounded in size and total time, against real HTTPS servers on
 * 127.0.0.1: the oversize test proves reading stops (the server sees the connection closed long before
 * it has written its body), the drip test that the deadline covers the whole exchange.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MAX_JWKS_BYTES } from '../../../common/jwks-limits';
import {
  BoundedFetcher,
  JwksFetchError,
  JwksFetchTimeoutError,
  JwksResponseTooLargeError,
} from '../../../lambda/shared/bounded-fetcher';
import { IdTokenError, createOidcClient } from '../../../lambda/sign-in/oidc-client';
import type { SignInConfig } from '../../../lambda/sign-in/sign-in-config';
import { startJwksServer } from '../../support/https-server';
import type { JwksServer } from '../../support/https-server';
import { generateSigningKey, jwksOf } from '../../support/keys';
import type { TestKey } from '../../support/keys';
import type { RawHandler, RawHttpsServer } from '../../support/raw-https-server';
import { startRawHttpsServer, streamSpaces } from '../../support/raw-https-server';
import { keycloakIdToken } from '../../support/tokens';

/** What the streaming server would send in all: far beyond the bound. */
const STREAM_TOTAL = 32 * 1024 * 1024;
const CHUNK = 16 * 1024;

let raw: RawHttpsServer | undefined;
let jwksServer: JwksServer | undefined;

/** A server whose handler writes the body itself (test/support/raw-https-server.ts), at `/jwks`. */
async function serve(handler: RawHandler) {
  raw = await startRawHttpsServer(handler);
  return { ...raw, url: `${raw.url}/jwks` };
}

describe('BoundedFetcher (the JWKS fetch of the authorizer and the sign-in function)', () => {
  let key: TestKey;
  beforeAll(async () => {
    key = await generateSigningKey('RS256');
  });
  afterEach(async () => {
    await raw?.close();
    raw = undefined;
    await jwksServer?.close();
    jwksServer = undefined;
  });

  it('returns the body of a JWKS within the bounds, byte for byte', async () => {
    const jwks = jwksOf(key);
    jwksServer = await startJwksServer(jwks);
    const body = await new BoundedFetcher({ timeoutMs: 2000, ca: jwksServer.ca }).fetch(
      `${jwksServer.url}/x`,
    );
    expect(JSON.parse(Buffer.from(body).toString('utf8'))).toEqual(jwks);
    expect(jwksServer.paths).toEqual(['/x']);
  });

  it(`accepts a body of exactly ${MAX_JWKS_BYTES} bytes and refuses one byte more`, async () => {
    jwksServer = await startJwksServer();
    const fetcher = new BoundedFetcher({ timeoutMs: 2000, ca: jwksServer.ca });
    jwksServer.behave({ body: ' '.repeat(MAX_JWKS_BYTES) });
    expect((await fetcher.fetch(jwksServer.url)).byteLength).toBe(MAX_JWKS_BYTES);
    jwksServer.behave({ body: ' '.repeat(MAX_JWKS_BYTES + 1) });
    const err = await fetcher.fetch(jwksServer.url).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(JwksResponseTooLargeError);
    expect((err as Error).message).toBe(`JWKS response exceeds ${MAX_JWKS_BYTES} bytes`);
  });

  it('refuses a declared Content-Length over the bound before reading any body', async () => {
    const s = await serve((res) => {
      // Declares the size and sends nothing: only the header can have decided.
      res.writeHead(200, {
        'content-type': 'application/json',
        'content-length': String(MAX_JWKS_BYTES + 1),
      });
      res.flushHeaders();
    });
    const err = await new BoundedFetcher({ timeoutMs: 5000, ca: s.ca }).fetch(s.url).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(JwksResponseTooLargeError);
    expect((err as Error).message).toBe(
      `JWKS response declares ${MAX_JWKS_BYTES + 1} bytes, over ${MAX_JWKS_BYTES}`,
    );
    await s.closed;
  });

  it('stops reading a streamed body (no Content-Length) as soon as it passes the bound', async () => {
    const s = await serve(streamSpaces(STREAM_TOTAL, CHUNK));
    const err = await new BoundedFetcher({ timeoutMs: 5000, ca: s.ca }).fetch(s.url).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(JwksResponseTooLargeError);
    expect((err as Error).message).toBe(`JWKS response exceeds ${MAX_JWKS_BYTES} bytes`);
    await s.closed;
    // Socket buffers hold a few MB at most; the server was far from writing its 32 MB.
    expect(s.report.written).toBeLessThan(STREAM_TOTAL / 4);
  });

  it('a body dripping in slowly is cut at the deadline, which covers the whole exchange', async () => {
    const s = await serve((res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const timer = setInterval(() => {
        if (res.destroyed) clearInterval(timer);
        else res.write(' ');
      }, 20);
    });
    const err = await new BoundedFetcher({ timeoutMs: 300, ca: s.ca }).fetch(s.url).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(JwksFetchTimeoutError);
    expect((err as Error).message).toBe('JWKS endpoint did not answer within 300 ms');
    await s.closed;
  });

  it.each([
    ['a status other than 200', { status: 503 } as const, 'JWKS endpoint answered 503, expected 200'],
    ['a reset connection', 'reset' as const, 'JWKS endpoint unreachable'],
  ])('%s is a JwksFetchError', async (_name, behaviour, message) => {
    jwksServer = await startJwksServer();
    jwksServer.behave(behaviour);
    const err = await new BoundedFetcher({ timeoutMs: 2000, ca: jwksServer.ca })
      .fetch(jwksServer.url)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(JwksFetchError);
    expect((err as Error).message).toBe(message);
  });

  it('refuses a JWKS URI that is not https', async () => {
    await expect(new BoundedFetcher({ timeoutMs: 100 }).fetch('http://127.0.0.1:1/jwks')).rejects.toThrow(
      'JWKS URI must be https',
    );
  });

  it('the OIDC client refuses an ID token when its JWKS is too large, saying so', async () => {
    jwksServer = await startJwksServer(jwksOf(key));
    const config: SignInConfig = {
      version: 1,
      issuer: `${jwksServer.url}/realms/test`,
      clientId: 'web',
      keysSecretId: 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:keys-AbCdEf',
    };
    const client = createOidcClient(config, { ca: jwksServer.ca, timeoutMs: 2000 });
    const token = keycloakIdToken(key, { issuer: config.issuer, azp: 'web' });
    jwksServer.behave({ body: `{"keys":[${' '.repeat(MAX_JWKS_BYTES)}]}` });
    const err = await client.verifyIdToken(token).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IdTokenError);
    expect((err as Error).message).toBe(`JWKS response exceeds ${MAX_JWKS_BYTES} bytes`);
    expect((err as Error).cause).toBeInstanceOf(JwksResponseTooLargeError);
    // The same client verifies the token once the JWKS is back to its size.
    jwksServer.behave('serve');
    await expect(client.verifyIdToken(token)).resolves.toBeUndefined();
  });
});
