/**
 * A JWKS endpoint over real HTTPS on 127.0.0.1 (port 0), with a self-signed certificate made at test time
 * by `selfsigned`. Clients trust it by passing `ca` (never by disabling TLS checks).
 *
 *   const server = await startJwksServer(jwksOf(key));
 *   const issuer = `${server.url}/realms/test`;        // any path serves the JWKS
 *   ... createTokenVerifier(config, { requestOptions: { ca: server.ca } })
 *   server.behave({ status: 503 }); server.behave('hang'); server.setJwks(otherJwks);
 *   expect(server.requests).toBe(1);
 *   await server.close();
 */
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { generate } from 'selfsigned';

/** What the server does with the next requests. */
export type ServerBehaviour =
  | 'serve'
  /** accept the connection, never answer */
  | 'hang'
  /** destroy the connection without a response */
  | 'reset'
  /** reset the next connection, then serve again */
  | 'reset-once'
  | { readonly status: number }
  | { readonly delayMs: number }
  /** answer 200 with this raw body */
  | { readonly body: string };

export interface JwksServer {
  /** `https://127.0.0.1:<port>` */
  readonly url: string;
  /** PEM of the self-signed certificate, for `requestOptions: { ca }`. */
  readonly ca: string;
  /** Requests received so far (any path). */
  readonly requests: number;
  /** Paths requested, in order. */
  readonly paths: readonly string[];
  setJwks(jwks: unknown): void;
  behave(behaviour: ServerBehaviour): void;
  close(): Promise<void>;
}

interface Pems {
  readonly key: string;
  readonly cert: string;
}

let pems: Promise<Pems> | undefined;

/** One certificate per test process: EC keys keep generation fast. */
export function testCertificate(): Promise<Pems> {
  pems ??= generate([{ name: 'commonName', value: '127.0.0.1' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] },
    ],
  }).then((r) => ({ key: r.private, cert: r.cert }));
  return pems;
}

export async function startJwksServer(jwks: unknown = { keys: [] }): Promise<JwksServer> {
  const { key, cert } = await testCertificate();
  let body = JSON.stringify(jwks);
  let behaviour: ServerBehaviour = 'serve';
  const paths: string[] = [];
  const timers = new Set<NodeJS.Timeout>();

  const server = createServer({ key, cert }, (req, res) => {
    paths.push(req.url ?? '');
    const b = behaviour;
    if (b === 'hang') return;
    if (b === 'reset' || b === 'reset-once') {
      if (b === 'reset-once') behaviour = 'serve';
      req.socket.destroy();
      return;
    }
    if (typeof b === 'object' && 'status' in b) {
      res.writeHead(b.status, { 'content-type': 'text/plain' }).end('unavailable');
      return;
    }
    const send = () => {
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(typeof b === 'object' && 'body' in b ? b.body : body);
    };
    if (typeof b === 'object' && 'delayMs' in b) {
      const t = setTimeout(() => {
        timers.delete(t);
        send();
      }, b.delayMs);
      timers.add(t);
      return;
    }
    send();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `https://127.0.0.1:${port}`,
    ca: cert,
    get requests() {
      return paths.length;
    },
    get paths() {
      return [...paths];
    },
    setJwks(next: unknown) {
      body = JSON.stringify(next);
    },
    behave(next: ServerBehaviour) {
      behaviour = next;
    },
    close() {
      for (const t of timers) clearTimeout(t);
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
