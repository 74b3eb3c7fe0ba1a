/**
 * An HTTPS server on 127.0.0.1 (port 0) whose handler writes each response itself, for the tests of the
 * JWKS fetch's bounds: it reports how much body it handed to the socket and when the client closed the
 * connection, so a test can prove the fetch stopped reading rather than buffered everything first.
 */
import type { ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { testCertificate } from './https-server';

/** What the server wrote of a response body. */
export interface StreamReport {
  /** Body bytes handed to the socket before the connection closed or the body ended. */
  written: number;
  /** Whether the server wrote the whole body. */
  finished: boolean;
}

export type RawHandler = (res: ServerResponse, report: StreamReport) => void;

export interface RawHttpsServer {
  /** `https://127.0.0.1:<port>` */
  readonly url: string;
  /** PEM of the self-signed certificate, for `ca`. */
  readonly ca: string;
  readonly report: StreamReport;
  /** Settles when the (first) response's connection closes. */
  readonly closed: Promise<void>;
  /** Drops every connection and stops the server. */
  close(): Promise<void>;
}

export async function startRawHttpsServer(handler: RawHandler): Promise<RawHttpsServer> {
  const { key, cert } = await testCertificate();
  const report: StreamReport = { written: 0, finished: false };
  let onClosed!: () => void;
  const closed = new Promise<void>((resolve) => (onClosed = resolve));
  const server = createServer({ key, cert }, (_req, res) => {
    res.on('close', () => onClosed());
    handler(res, report);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}`,
    ca: cert,
    report,
    closed,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * A handler that streams `total` bytes of spaces in chunks of `chunk` (after `prefix`), without a
 * Content-Length, waiting for the socket to drain and stopping when the client goes away.
 */
export function streamSpaces(total: number, chunk: number, prefix = ''): RawHandler {
  return (res, report) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    const block = Buffer.alloc(chunk, 0x20);
    const pump = (): void => {
      while (report.written < total) {
        if (res.destroyed) return;
        report.written += chunk;
        if (!res.write(block)) {
          res.once('drain', pump);
          return;
        }
      }
      report.finished = true;
      res.end();
    };
    if (prefix) res.write(prefix);
    pump();
  };
}
