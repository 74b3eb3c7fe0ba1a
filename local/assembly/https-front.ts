/**
 * An https front for the keys of a realm served over http (a development Keycloak on this machine, the
 * Keycloak fixture): the app's own authorizer fetches its JWKS over https only (aws-jwt-verify), so the
 * local gateway serves that one document over TLS on 127.0.0.1 and names it as the issuer's `jwksUri` in
 * the config the authorizer function receives. The issuer itself stays the realm's http URL, the `iss`
 * its tokens carry (the config's `insecureHttpIssuerForDevelopmentOnly` opt-in, set by withLocalIssuer).
 *
 * Only GET of the JWKS path is forwarded; every other request is a 404, so the front exposes nothing of
 * the realm but its public keys. The certificate is made at start and trusted by the functions through
 * NODE_EXTRA_CA_CERTS (local-trust.ts).
 */
import { request as httpRequest } from 'node:http';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { keycloakJwksUri } from '../../common/authorizer-config';
import { assertLoopbackOrHttps } from '../http/loopback-transport';
import { loopbackCertificate } from '../issuer/tls';
import type { LoopbackTls } from '../issuer/tls';

export interface HttpsFront {
  /** The https URL of the realm's JWKS, for the authorizer config's `jwksUri`. */
  readonly jwksUri: string;
  /** The certificate to trust (its own CA). */
  readonly ca: string;
  close(): Promise<void>;
}

/** Longest wait for the realm's answer, as the authorizer's own JWKS timeout bounds its fetch. */
const UPSTREAM_TIMEOUT_MS = 5_000;
/** A JWKS of a few keys is a few kB; a larger answer is refused rather than held in memory. */
const MAX_JWKS_BYTES = 256 * 1024;

/** Serves `<realm URL>/protocol/openid-connect/certs` of an http realm on loopback over https. */
export async function startHttpsFront(realmUrl: string, tls?: LoopbackTls): Promise<HttpsFront> {
  const upstream = new URL(keycloakJwksUri({ kind: 'keycloak', issuer: realmUrl }));
  assertLoopbackOrHttps(upstream.href, 'the Keycloak realm URL');
  const cert = tls ?? (await loopbackCertificate());
  const server = createServer({ key: cert.key, cert: cert.cert }, (req, res) => {
    if (req.method !== 'GET' || req.url !== upstream.pathname) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('Not found\n');
      return;
    }
    const upstreamReq = httpRequest(
      upstream,
      { method: 'GET', headers: { accept: 'application/json' }, timeout: UPSTREAM_TIMEOUT_MS },
      (up) => {
        const chunks: Buffer[] = [];
        let size = 0;
        up.on('data', (c: Buffer) => {
          size += c.length;
          if (size > MAX_JWKS_BYTES) upstreamReq.destroy(new Error('JWKS too large'));
          else chunks.push(c);
        });
        up.on('end', () => {
          res
            .writeHead(up.statusCode ?? 502, {
              'content-type': up.headers['content-type'] ?? 'application/json',
            })
            .end(Buffer.concat(chunks));
        });
      },
    );
    upstreamReq.on('timeout', () => upstreamReq.destroy(new Error('the realm did not answer in time')));
    upstreamReq.on('error', () => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' }).end('Bad gateway\n');
      else res.destroy();
    });
    upstreamReq.end();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    jwksUri: `https://127.0.0.1:${port}${upstream.pathname}`,
    ca: cert.ca,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
