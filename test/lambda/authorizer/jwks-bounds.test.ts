/**
 * The JWKS fetch reads at most MAX_JWKS_BYTES and accepts at most MAX_JWKS_KEYS keys, against a real HTTPS
 * server on 127.0.0.1 that streams its body: the oversize test proves the fetch stops reading (the server
 * sees the connection closed long before it has written the whole body), not that it buffers it all first.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { AuthorizerConfig } from '../../../common/authorizer-config';
import { REASON_CODES } from '../../../common/reason-codes';
import { createTokenVerifier, MAX_JWKS_BYTES, MAX_JWKS_KEYS } from '../../../lambda/authorizer/verify-token';
import { generateSigningKey } from '../../support/keys';
import type { TestKey } from '../../support/keys';
import type { RawHandler, RawHttpsServer } from '../../support/raw-https-server';
import { startRawHttpsServer, streamSpaces } from '../../support/raw-https-server';
import { keycloakAccessToken } from '../../support/tokens';

const REALM = '/realms/test';
/** What the streaming server would send in all: far beyond the bound. */
const STREAM_TOTAL = 32 * 1024 * 1024;
const CHUNK = 16 * 1024;

let server: RawHttpsServer | undefined;
let ca: string;

async function serve(handler: RawHandler): Promise<RawHttpsServer> {
  server = await startRawHttpsServer(handler);
  ca = server.ca;
  return server;
}

/** Streams STREAM_TOTAL bytes of a JSON-looking body in chunks, waiting for the socket to drain. */
const streamForever = streamSpaces(STREAM_TOTAL, CHUNK, '{"keys":[');

function configFor(url: string): AuthorizerConfig {
  return {
    version: 1,
    issuers: [{ kind: 'keycloak', issuer: url + REALM, allowedClients: ['web'] }],
    routes: [],
  };
}

async function verifyOnce(url: string, key: TestKey) {
  const failures: string[] = [];
  const verifier = createTokenVerifier(configFor(url), {
    requestOptions: { ca },
    events: { jwksFetchFailed: (_iss, reason) => failures.push(reason) },
  });
  const result = await verifier.verify(keycloakAccessToken(key, { issuer: url + REALM }));
  return { result, failures };
}

describe('JWKS bounds', () => {
  let key: TestKey;
  beforeAll(async () => {
    key = await generateSigningKey('RS256');
  });
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('has a reason code of its own', () => {
    expect(REASON_CODES.jwks_too_large).toMatch(/256 KB.*100 keys/);
    expect(MAX_JWKS_BYTES).toBe(256 * 1024);
    expect(MAX_JWKS_KEYS).toBe(100);
  });

  it('stops reading a streamed body at 256 KB and denies with jwks_too_large', async () => {
    const { url, report, closed } = await serve(streamForever);
    const { result, failures } = await verifyOnce(url, key);
    expect(result).toMatchObject({ ok: false, reason: 'jwks_too_large' });
    expect(failures).toEqual(['JWKS too large']);
    await closed;
    // The client closed the connection: the server never got to the end of its body.
    expect(report.finished).toBe(false);
    expect(report.written).toBeLessThan(STREAM_TOTAL / 4);
  }, 20_000);

  it('refuses a declared Content-Length above 256 KB without reading the body', async () => {
    const { url, report, closed } = await serve((res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(STREAM_TOTAL) });
      // The headers alone: a fetch that waited for the body would hit its time-out instead.
      res.flushHeaders();
    });
    const { result, failures } = await verifyOnce(url, key);
    expect(result).toMatchObject({ ok: false, reason: 'jwks_too_large' });
    expect(failures).toEqual(['JWKS too large']);
    await closed;
    expect(report.finished).toBe(false);
  }, 10_000);

  it(`accepts ${MAX_JWKS_KEYS} keys and refuses ${MAX_JWKS_KEYS + 1} with jwks_too_large`, async () => {
    const copies = (n: number) => [
      key.publicJwk,
      ...Array.from({ length: n - 1 }, (_, i) => ({ ...key.publicJwk, kid: `other-${i}` })),
    ];
    let body = '';
    const { url } = await serve((res) => {
      res.writeHead(200, { 'content-type': 'application/json' }).end(body);
    });
    body = JSON.stringify({ keys: copies(MAX_JWKS_KEYS) });
    expect(Buffer.byteLength(body)).toBeLessThan(MAX_JWKS_BYTES);
    expect((await verifyOnce(url, key)).result).toMatchObject({ ok: true });

    body = JSON.stringify({ keys: copies(MAX_JWKS_KEYS + 1) });
    expect(Buffer.byteLength(body)).toBeLessThan(MAX_JWKS_BYTES);
    const { result, failures } = await verifyOnce(url, key);
    expect(result).toMatchObject({ ok: false, reason: 'jwks_too_large' });
    expect(failures).toEqual(['JWKS too large']);
  });

  it('still reads a body just under the byte bound', async () => {
    const jwks = JSON.stringify({ keys: [key.publicJwk] });
    // JSON allows whitespace after the value: pad to one byte under the bound.
    const body = jwks + ' '.repeat(MAX_JWKS_BYTES - Buffer.byteLength(jwks));
    expect(Buffer.byteLength(body)).toBe(MAX_JWKS_BYTES);
    const { url } = await serve((res) => {
      res.writeHead(200, { 'content-type': 'application/json' }).end(body);
    });
    expect((await verifyOnce(url, key)).result).toMatchObject({ ok: true });
  });
});
