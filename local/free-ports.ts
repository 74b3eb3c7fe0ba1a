/**
 * Free loopback ports chosen before the servers start, for a stack whose realm must name the gateway's
 * URL before the gateway listens (browser sign-in: the people client's redirect URI). Another process
 * may take a port between the check and the listen; the start then fails with "port in use", one line.
 */
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';

function listenOn(port: number): Promise<{ port: number; close: () => Promise<void> } | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(undefined));
    server.listen(port, '127.0.0.1', () =>
      resolve({
        port: (server.address() as AddressInfo).port,
        close: () => new Promise<void>((r) => server.close(() => r())),
      }),
    );
  });
}

/** A port p such that p, p + 1, … p + count - 1 are free on 127.0.0.1 now (bounded tries). */
export async function freeConsecutivePorts(count: number): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const first = await listenOn(0);
    if (!first) continue;
    const held = [first];
    for (let i = 1; i < count; i++) {
      const next = await listenOn(first.port + i);
      if (!next) break;
      held.push(next);
    }
    for (const h of held) await h.close();
    if (held.length === count) return first.port;
  }
  throw new Error(`no ${count} consecutive free ports on 127.0.0.1`);
}
