/**
 * The one JWKS fetcher of every Keygate function (the authorizer through jwks-cache.ts, the sign-in
 * function directly): one HTTPS GET bounded in size (MAX_JWKS_BYTES, common/jwks-limits.ts) and in total
 * time (a deadline over the whole exchange, not an idle time-out a slowly dripping server could keep
 * renewing). A larger declared Content-Length is refused before the body is read; a longer body is cut off
 * as soon as the count passes the bound (the connection is destroyed, nothing more is read). aws-jwt-verify
 * takes any `Fetcher` in place of its SimpleFetcher, which buffers any body whole:
 * https://github.com/awslabs/aws-jwt-verify#using-a-different-fetcher-with-simplejwkscache
 */
import { request } from 'node:https';
import type { Fetcher } from 'aws-jwt-verify/https';
import { MAX_JWKS_BYTES } from '../../common/jwks-limits';

/** Base class of the fetch failures below; `cause` keeps the transport error, if any. */
export class JwksFetchError extends Error {}
/** The response is larger than the bound: reading stopped there. */
export class JwksResponseTooLargeError extends JwksFetchError {}
/** The whole exchange took longer than the deadline. */
export class JwksFetchTimeoutError extends JwksFetchError {}
/** The endpoint answered with a status other than 200. */
export class JwksStatusError extends JwksFetchError {
  constructor(readonly status: number | undefined) {
    super(`JWKS endpoint answered ${status}, expected 200`);
  }
}

export interface BoundedFetcherOptions {
  /** Deadline for the whole GET, connection to last byte. */
  readonly timeoutMs: number;
  /** @default MAX_JWKS_BYTES */
  readonly maxBytes?: number;
  /** Extra trusted CA certificates (PEM), e.g. a test issuer's self-signed certificate. */
  readonly ca?: string | readonly string[];
  /** Further Node `https.request` options (e.g. an agent). @default {} */
  readonly requestOptions?: Readonly<Record<string, unknown>>;
}

export class BoundedFetcher implements Fetcher {
  private readonly maxBytes: number;
  constructor(private readonly opts: BoundedFetcherOptions) {
    this.maxBytes = opts.maxBytes ?? MAX_JWKS_BYTES;
  }

  fetch(uri: string, requestOptions?: Record<string, unknown>): Promise<ArrayBuffer> {
    const { timeoutMs, ca } = this.opts;
    const maxBytes = this.maxBytes;
    return new Promise((resolve, reject) => {
      let settled = false;
      const u = new URL(uri);
      if (u.protocol !== 'https:') {
        reject(new JwksFetchError('JWKS URI must be https'));
        return;
      }
      const options = {
        ...this.opts.requestOptions,
        ...requestOptions,
        ...(ca === undefined ? {} : { ca: ca as string | string[] }),
        method: 'GET',
        headers: { accept: 'application/json' },
      };
      const req = request(u, options, (res) => {
        if (res.statusCode !== 200) {
          done(new JwksStatusError(res.statusCode));
          return;
        }
        const declared = Number(res.headers['content-length']);
        if (Number.isFinite(declared) && declared > maxBytes) {
          done(new JwksResponseTooLargeError(`JWKS response declares ${declared} bytes, over ${maxBytes}`));
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > maxBytes) done(new JwksResponseTooLargeError(`JWKS response exceeds ${maxBytes} bytes`));
          else chunks.push(chunk);
        });
        res.on('end', () => {
          const body = Buffer.concat(chunks, size);
          done(
            undefined,
            body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength) as ArrayBuffer,
          );
        });
        res.on('error', (e) => done(new JwksFetchError('JWKS response failed', { cause: e })));
      });
      const timer = setTimeout(
        () => done(new JwksFetchTimeoutError(`JWKS endpoint did not answer within ${timeoutMs} ms`)),
        timeoutMs,
      );
      timer.unref();
      req.on('error', (e) => done(new JwksFetchError('JWKS endpoint unreachable', { cause: e })));
      req.end();

      function done(err: Error | undefined, body?: ArrayBuffer): void {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (err === undefined) {
          resolve(body as ArrayBuffer);
          return;
        }
        // Closes the connection: nothing more of the body is read, and the socket is not reused.
        req.destroy();
        reject(err);
      }
    });
  }
}
