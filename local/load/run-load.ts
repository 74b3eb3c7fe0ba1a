/**
 * A bounded load run on loopback with autocannon: a fixed number of requests over a few connections,
 * summarised as the figures the benchmark prints (throughput, latency, errors, non-2xx).
 */
import autocannon from 'autocannon';

export interface LoadSpec {
  readonly url: string;
  readonly method?: string;
  readonly headers?: Record<string, string>;
  readonly body?: string;
  /** Total requests (the run's bound). */
  readonly amount: number;
  /** @default 8 */
  readonly connections?: number;
}

export interface LoadFigures {
  readonly requests: number;
  readonly requestsPerSecond: number;
  readonly latencyP50Ms: number;
  readonly latencyP99Ms: number;
  readonly errors: number;
  readonly non2xx: number;
  readonly ok2xx: number;
  readonly durationS: number;
}

export async function runLoad(spec: LoadSpec): Promise<LoadFigures> {
  const started = performance.now();
  let last = started;
  const run = autocannon({
    url: spec.url,
    method: spec.method ?? 'GET',
    headers: spec.headers,
    body: spec.body,
    amount: spec.amount,
    connections: spec.connections ?? 8,
    timeout: 10,
  });
  // A bounded run ends on autocannon's next one-second sample tick, not at its last response (lib/run.js
  // checks `stop` in its tick): timed to the tick, a run of 3000 requests reads 3000, 1500 or 1000 req/s.
  // The run's length is taken to its last response instead.
  run.on('response', () => {
    last = performance.now();
  });
  const r = await run;
  const durationS = ((last > started ? last : performance.now()) - started) / 1000;
  const ok2xx = Object.entries(r.statusCodeStats ?? {})
    .filter(([code]) => code.startsWith('2'))
    .reduce((n, [, s]) => n + Number(s.count), 0);
  const requests = ok2xx + r.non2xx;
  return {
    requests,
    requestsPerSecond: Math.round(requests / durationS),
    latencyP50Ms: r.latency.p50,
    latencyP99Ms: r.latency.p99,
    errors: r.errors + r.timeouts,
    non2xx: r.non2xx,
    ok2xx,
    durationS: Math.round(durationS * 100) / 100,
  };
}
