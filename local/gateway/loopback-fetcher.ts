/**
 * The local stack's JWKS fetcher: https as the deployed authorizer does it, plus plain http to a loopback
 * address, for a development Keycloak on this machine (`kc.sh start-dev` serves http only) trusted with
 * `insecureHttpIssuerForDevelopmentOnly`. Any other http URL is refused, so the exception cannot reach
 * the network. Plugged in through aws-jwt-verify's public Fetcher interface (createTokenVerifier's
 * `fetcher`); the deployed authorizer never uses it.
 */
import { request } from 'node:http';
import { isLoopbackUrl } from '../../common/field-checks';
import type { Fetcher } from '../../lambda/authorizer/verify-token';

/** A local JWKS is a few keys; a larger answer is not a JWKS. */
const MAX_BODY_BYTES = 256 * 1024;

export class LoopbackHttpFetcher implements Fetcher {
  constructor(
    /** The https fetcher (the authorizer's own, bounded by its time budget). */
    private readonly https: Fetcher,
    private readonly timeoutMs: number,
  ) {}

  fetch(uri: string, requestOptions?: Record<string, unknown>, data?: ArrayBuffer): Promise<ArrayBuffer> {
    if (new URL(uri).protocol !== 'http:') return this.https.fetch(uri, requestOptions, data);
    if (!isLoopbackUrl(uri)) {
      return Promise.reject(
        new Error(`refusing to fetch keys over http from a non-loopback address: ${uri}`),
      );
    }
    return new Promise((resolve, reject) => {
      const req = request(uri, { method: 'GET', timeout: this.timeoutMs }, (res) => {
        if (res.statusCode !== 200) {
          res.resume();
          reject(new Error(`JWKS fetch ${uri}: http status ${res.statusCode}`));
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > MAX_BODY_BYTES) {
            req.destroy(new Error(`JWKS fetch ${uri}: body larger than ${MAX_BODY_BYTES} bytes`));
            return;
          }
          chunks.push(c);
        });
        res.on('end', () => {
          const body = Buffer.concat(chunks);
          resolve(body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength) as ArrayBuffer);
        });
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error(`JWKS fetch ${uri}: timeout`)));
      req.on('error', reject);
      req.end();
    });
  }
}
