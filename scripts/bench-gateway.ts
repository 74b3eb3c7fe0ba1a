/**
 * `npm run bench:gateway`: the local gateway under bounded autocannon load on loopback, against a bare
 * Node HTTP server answering the same JSON in the same process (the floor for loopback HTTP here). The
 * gateway serves the dev stage's HTTP API as `npm start` does (serveStage: the app synthesized once, its
 * authorizer and model backend run from their bundles in child processes).
 *
 * Scenarios (each a fixed number of requests over 8 connections):
 *   bare             node:http returning the model list: no authorization, no backend
 *   token, cached    GET /models with a person's token; the authorizer result cache answers (TTL 300 s)
 *   token, no cache  GET /models with caching off: the real authorizer runs on every request
 *                    (its verified-claims cache skips the signature check after the first)
 *   invoke, cached   POST /models/sentiment/invoke: authorizer cache + the demo model computing
 *   iam (SigV4)      GET /machine/models signed once: the signature is recomputed on every request
 *   refused (403)    POST invoke by a person without the role: cached deny policy
 * Memory (this process: the gateways; the functions run in processes of their own): heap used after a
 * forced GC before the runs and after each of three further rounds of the cached scenario — steady
 * figures mean no growth per request.
 *
 * Run with `node --expose-gc` (the npm script does) for the heap figures; without it they are skipped.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DEFAULT_APP_CONFIG } from '../common/app-config';
import { sigV4Headers, userTokens } from '../local/callers';
import { serveStage } from '../local/serve-stage';
import { stageApi } from '../local/stage-api';
import { runLoad } from '../local/load/run-load';
import type { LoadFigures, LoadSpec } from '../local/load/run-load';
import { formatTable } from '../local/access-matrix';

const AMOUNT = Number(process.env.BENCH_GATEWAY_REQUESTS ?? 3000);
const gc = (globalThis as { gc?: () => void }).gc;

function heapMb(): number | undefined {
  if (!gc) return undefined;
  gc();
  gc();
  return Math.round((process.memoryUsage().heapUsed / 1024 / 1024) * 10) / 10;
}

async function main(): Promise<void> {
  const stage = DEFAULT_APP_CONFIG.stages.dev;
  // The second serve reuses the first's synthesized assembly (serveStage synthesizes once per process).
  const servedCached = await serveStage({ stage, apiKinds: ['http'], cacheTtlSeconds: 300 });
  const servedUncached = await serveStage({
    stage,
    apiKinds: ['http'],
    cacheTtlSeconds: 0,
    buildLambdas: false,
  });
  const cached = stageApi(servedCached, 'http');
  const uncached = stageApi(servedUncached, 'http');
  const listBody = JSON.stringify({ models: stage.models.map((m) => ({ id: m.id, kind: m.kind })) });
  const bare = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(listBody);
  });
  await new Promise<void>((r) => bare.listen(0, '127.0.0.1', () => r()));
  const bareUrl = `http://127.0.0.1:${(bare.address() as AddressInfo).port}/models`;

  try {
    const alice = (await userTokens(cached, 'alice')).access_token;
    const bob = (await userTokens(cached, 'bob')).access_token;
    const aliceU = (await userTokens(uncached, 'alice')).access_token;
    const machineUrl = `${cached.gateway.url}/machine/models`;
    const signed = await sigV4Headers(machineUrl, 'GET', cached.iam.machine, cached.region);
    const invokeBody = JSON.stringify({ input: 'I love this great product' });
    const json = { 'content-type': 'application/json' };

    const scenarios: [string, LoadSpec, string][] = [
      ['bare', { url: bareUrl, amount: AMOUNT }, '200'],
      [
        'token, cached',
        {
          url: `${cached.gateway.url}/models`,
          headers: { authorization: `Bearer ${alice}` },
          amount: AMOUNT,
        },
        '200',
      ],
      [
        'token, no cache',
        {
          url: `${uncached.gateway.url}/models`,
          headers: { authorization: `Bearer ${aliceU}` },
          amount: AMOUNT,
        },
        '200',
      ],
      [
        'invoke, cached',
        {
          url: `${cached.gateway.url}/models/sentiment/invoke`,
          method: 'POST',
          headers: { authorization: `Bearer ${alice}`, ...json },
          body: invokeBody,
          amount: AMOUNT,
        },
        '200',
      ],
      ['iam (SigV4)', { url: machineUrl, headers: signed, amount: AMOUNT }, '200'],
      [
        'refused (403)',
        {
          url: `${cached.gateway.url}/models/sentiment/invoke`,
          method: 'POST',
          headers: { authorization: `Bearer ${bob}`, ...json },
          body: invokeBody,
          amount: AMOUNT,
        },
        '403',
      ],
    ];

    // Warm-up: JIT, connection set-up, the authorizer's JWKS fetch and caches.
    for (const [, spec] of scenarios) await runLoad({ ...spec, amount: Math.min(300, spec.amount) });
    const heapBefore = heapMb();

    const results: [string, LoadFigures, string][] = [];
    for (const [name, spec, expected] of scenarios) results.push([name, await runLoad(spec), expected]);
    const floor = results[0][1].requestsPerSecond;

    const heapRounds: (number | undefined)[] = [];
    for (let i = 0; i < 3; i++) {
      await runLoad(scenarios[1][1]);
      heapRounds.push(heapMb());
    }

    console.log(
      `\nLocal gateway under load — ${AMOUNT} requests per scenario, 8 connections, loopback, the functions in processes of their own\n`,
    );
    console.log(
      formatTable(
        [
          'scenario',
          'requests',
          'req/s',
          'vs bare',
          'p50 ms',
          'p99 ms',
          'expected',
          'errors',
          'unexpected status',
        ],
        results.map(([name, f, expected]) => [
          name,
          String(f.requests),
          String(f.requestsPerSecond),
          `${(f.requestsPerSecond / floor).toFixed(2)}x`,
          String(f.latencyP50Ms),
          String(f.latencyP99Ms),
          expected,
          String(f.errors),
          String(expected === '200' ? f.non2xx : f.ok2xx),
        ]),
      ),
    );
    if (heapBefore === undefined) {
      console.log('\nheap: run with node --expose-gc for heap figures');
    } else {
      const growth = Math.round(((heapRounds[2] ?? heapBefore) - heapBefore) * 10) / 10;
      console.log(
        `\nheap used after GC: ${heapBefore} MB before; after 3 more rounds of ${AMOUNT} cached requests: ` +
          `${heapRounds.join(' / ')} MB (growth ${growth} MB over ${3 * AMOUNT + results.length * AMOUNT} requests)`,
      );
    }
    const bad = results.filter(
      ([, f, expected]) => f.errors > 0 || (expected === '200' ? f.non2xx : f.ok2xx) > 0,
    );
    if (bad.length) {
      console.error(`\nunexpected errors or statuses in: ${bad.map(([n]) => n).join(', ')}`);
      process.exitCode = 1;
    }
  } finally {
    await servedCached.close();
    await servedUncached.close();
    await new Promise<void>((r) => bare.close(() => r()));
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : String(e));
  process.exit(1);
});
