/**
 * A plain HTTP server on 127.0.0.1 that checks SigV4 the way API Gateway does: it rebuilds the request from
 * what arrived on the wire (method, raw path, query, the headers named in SignedHeaders, body), signs that
 * with the expected secret, and compares signatures. A client that sends anything other than what it
 * signed is refused with 403.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HttpRequest } from '@smithy/protocol-http';
import { createSigner } from '../../client/sign-request';

export interface ReceivedRequest {
  readonly method: string;
  readonly rawPath: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
  readonly signatureValid: boolean;
}

export interface SigningServer {
  readonly url: string;
  readonly received: ReceivedRequest[];
  close(): Promise<void>;
}

const AUTH =
  /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$/;

export async function startSigningServer(
  secrets: Record<string, string>,
  respond: (req: ReceivedRequest) => { status: number; body: unknown },
): Promise<SigningServer> {
  const received: ReceivedRequest[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const signatureValid = await verify(req, body, secrets);
        const r: ReceivedRequest = {
          method: req.method ?? '',
          rawPath: req.url ?? '',
          headers: req.headers,
          body,
          signatureValid,
        };
        received.push(r);
        const answer = signatureValid
          ? respond(r)
          : { status: 403, body: { message: 'The request signature we calculated does not match' } };
        res.writeHead(answer.status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(answer.body));
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function verify(req: IncomingMessage, body: string, secrets: Record<string, string>): Promise<boolean> {
  const m = AUTH.exec(String(req.headers.authorization ?? ''));
  if (!m) return false;
  const [, accessKeyId, , region, service, signedHeaders, signature] = m;
  const secretAccessKey = secrets[accessKeyId];
  if (!secretAccessKey) return false;
  const amzDate = String(req.headers['x-amz-date'] ?? '');
  const date = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(amzDate);
  if (!date) return false;
  const url = new URL(req.url ?? '/', 'http://placeholder');
  const headers: Record<string, string> = {};
  for (const name of signedHeaders.split(';')) {
    const v = req.headers[name];
    if (v === undefined) return false;
    headers[name] = Array.isArray(v) ? v.join(',') : v;
  }
  const query: Record<string, string | string[]> = {};
  for (const [k, v] of url.searchParams) {
    const prev = query[k];
    query[k] = prev === undefined ? v : [...(Array.isArray(prev) ? prev : [prev]), v];
  }
  const sessionToken = req.headers['x-amz-security-token'];
  const signer = createSigner({
    region,
    service,
    credentials: {
      accessKeyId,
      secretAccessKey,
      sessionToken: typeof sessionToken === 'string' ? sessionToken : undefined,
    },
  });
  const expected = await signer.sign(
    new HttpRequest({
      method: req.method,
      hostname: url.hostname,
      path: url.pathname,
      query,
      headers,
      body: body || undefined,
    }),
    {
      signingDate: new Date(`${date[1]}-${date[2]}-${date[3]}T${date[4]}:${date[5]}:${date[6]}Z`),
      signableHeaders: new Set(signedHeaders.split(';')),
    },
  );
  return String(expected.headers.authorization).endsWith(`Signature=${signature}`);
}
