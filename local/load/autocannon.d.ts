/**
 * The part of autocannon's API the load runs use (the package ships no type declarations). From its README:
 * https://github.com/mcollina/autocannon#api
 */
declare module 'autocannon' {
  interface Histogram {
    readonly average: number;
    readonly mean: number;
    readonly p50: number;
    readonly p99: number;
    readonly max: number;
    readonly total: number;
  }
  interface Result {
    readonly requests: Histogram;
    readonly latency: Histogram;
    readonly throughput: Histogram;
    readonly duration: number;
    readonly errors: number;
    readonly timeouts: number;
    readonly non2xx: number;
    readonly statusCodeStats: Record<string, { count: number }>;
  }
  interface Options {
    url: string;
    connections?: number;
    amount?: number;
    duration?: number;
    timeout?: number;
    method?: string;
    headers?: Record<string, string>;
    body?: string;
  }
  /** A run: awaited for its result, and an event emitter while it runs (README, "Events"). */
  interface Run extends PromiseLike<Result> {
    /** Each HTTP response, as it arrives. */
    on(event: 'response', listener: () => void): Run;
  }
  function autocannon(options: Options): Run;
  export = autocannon;
}
