/**
 * A minimal HTTPS form POST for the token endpoint (node:https, so tests can pass a CA for a self-signed
 * loopback certificate without ever disabling TLS checks). Bounded in time and size.
 */
import { request } from 'node:https';

export interface FormPostOptions {
  readonly headers?: Record<string, string>;
  /** Extra trusted CA certificates (PEM), e.g. a test issuer's self-signed certificate. */
  readonly ca?: string | readonly string[];
  readonly timeoutMs: number;
}

export interface FormPostResponse {
  readonly status: number;
  readonly body: string;
}

const MAX_RESPONSE_BYTES = 256 * 1024;

export function postForm(
  url: string,
  form: URLSearchParams,
  opts: FormPostOptions,
): Promise<FormPostResponse> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    if (u.protocol !== 'https:') {
      reject(new Error('token endpoint must be https'));
      return;
    }
    const data = Buffer.from(form.toString(), 'utf8');
    const req = request(
      u,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'application/json',
          'content-length': String(data.length),
          ...opts.headers,
        },
        ca: opts.ca as string | string[] | undefined,
        timeout: opts.timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > MAX_RESPONSE_BYTES) req.destroy(new Error('token endpoint response too large'));
          else chunks.push(c);
        });
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('token endpoint timed out')));
    req.on('error', reject);
    req.end(data);
  });
}
