/**
 * Runs a Node.js Lambda handler from its asset folder in a child process of its own, as Lambda runs it in
 * an execution environment of its own: the function's environment variables (and nothing of the gateway's
 * but PATH, HOME and AWS credentials), its handler `file.export`, its timeout. A handler that outlives its
 * timeout is stopped with its process ("Task timed out after N seconds") and the next call starts a new one,
 * as Lambda does: https://docs.aws.amazon.com/lambda/latest/dg/configuration-timeout.html
 */
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import type { LambdaFunction, StreamingLambdaFunction } from '../gateway/local-gateway';

/** The child's side: loads the handler once, answers each `invoke` message with its result or error. */
const RUNNER_JS = `'use strict';
const path = require('node:path');
const { pathToFileURL } = require('node:url');
const [codeDir, handler, functionName, timeoutMs, captureLogs] = process.argv.slice(2);
// Log lines also go to the gateway, on the channel that carries the results: a call's lines arrive before
// its result (a separate stdout pipe could deliver them after it).
if (captureLogs === '1') {
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = (chunk, ...rest) => {
    if (process.connected) process.send({ log: String(chunk) });
    return write(chunk, ...rest);
  };
}
const dot = handler.lastIndexOf('.');
const file = path.resolve(codeDir, handler.slice(0, dot));
const exportName = handler.slice(dot + 1);
let loaded;
// Lambda's Node.js runtime provides response streaming as the awslambda global
// (https://docs.aws.amazon.com/lambda/latest/dg/config-rs-write-functions.html): a streamified handler is
// marked, and HttpResponseStream.from writes the metadata prelude and its 8 null bytes.
const STREAMING = Symbol.for('keygate.local.streaming');
globalThis.awslambda = {
  streamifyResponse: (fn) => Object.assign((...a) => fn(...a), { [STREAMING]: true }),
  HttpResponseStream: {
    from(stream, metadata) {
      stream.write(Buffer.concat([Buffer.from(JSON.stringify(metadata)), Buffer.alloc(8, 0)]));
      return stream;
    },
  },
};
const { Writable } = require('node:stream');
const streams = new Map();
/** The response stream of one call: each write is a message to the gateway, end is one more. */
function responseStream(id) {
  const w = new Writable({
    write(chunk, _enc, done) { process.send({ id, chunk: Buffer.from(chunk).toString('base64') }, done); },
    final(done) { process.send({ id, end: true }, done); },
  });
  streams.set(id, w);
  w.on('close', () => streams.delete(id));
  return w;
}
async function load() {
  let mod;
  for (const ext of ['.js', '.cjs', '.mjs']) {
    try { require.resolve(file + ext); } catch { continue; }
    mod = ext === '.mjs' ? await import(pathToFileURL(file + ext).href) : require(file + ext);
    break;
  }
  if (!mod) throw new Error('Cannot find module ' + handler.slice(0, dot) + ' in ' + codeDir);
  const fn = mod[exportName] ?? mod.default?.[exportName];
  if (typeof fn !== 'function') throw new Error('Handler ' + handler + ' is not a function');
  return fn;
}
process.on('disconnect', () => process.exit(0));
process.on('message', async (m) => {
  if (m.abort) return streams.get(m.id)?.destroy();
  const started = Date.now();
  const context = {
    functionName, functionVersion: '$LATEST', awsRequestId: m.id, memoryLimitInMB: '128',
    invokedFunctionArn: 'arn:aws:lambda:' + (process.env.AWS_REGION || 'us-east-1') + ':000000000000:function:' + functionName,
    getRemainingTimeInMillis: () => Math.max(0, Number(timeoutMs) - (Date.now() - started)),
    callbackWaitsForEmptyEventLoop: true,
  };
  try {
    loaded ??= load();
    const fn = await loaded;
    // The handler starts now: the call's timeout runs from here, not from the process's start.
    process.send({ id: m.id, started: true });
    if (m.stream) {
      if (!fn[STREAMING]) throw new Error('Handler ' + handler + ' is not wrapped in awslambda.streamifyResponse');
      const out = responseStream(m.id);
      await fn(m.event, out, context);
      if (!out.writableEnded && !out.destroyed) await new Promise((r) => out.end(r));
      process.send({ id: m.id, ok: true });
      return;
    }
    const result = await fn(m.event, context);
    process.send({ id: m.id, ok: true, result });
  } catch (e) {
    process.send({ id: m.id, ok: false, message: e && e.message !== undefined ? String(e.message) : String(e) });
  }
});
`;

/** What the child sends: a call's result or error, or a chunk or the end of its response stream. */
interface ChildMessage {
  readonly id: string;
  /** A line the function wrote to stdout (with `onLog`). */
  readonly log?: string;
  readonly ok?: boolean;
  readonly result?: unknown;
  readonly message?: string;
  readonly chunk?: string;
  readonly end?: boolean;
  /** The handler was loaded and called: the call's timeout starts. */
  readonly started?: boolean;
}

let runnerFile: string | undefined;
function runner(): string {
  runnerFile ??= join(mkdtempSync(join(tmpdir(), 'keygate-local-runner-')), 'runner.cjs');
  writeFileSync(runnerFile, RUNNER_JS);
  return runnerFile;
}

/** Lambda's limit on a function's init phase (loading its code), 10 seconds. */
const INIT_LIMIT_MS = 10_000;

/** Variables of the gateway's own environment a function also gets (credentials for its AWS calls). */
const PASSED_THROUGH =
  /^(?:PATH|HOME|TMPDIR|AWS_ACCESS_KEY_ID|AWS_SECRET_ACCESS_KEY|AWS_SESSION_TOKEN|AWS_PROFILE)$/;

export interface FunctionProcessOptions {
  readonly name: string;
  readonly codeDir: string;
  readonly handler: string;
  readonly timeoutSeconds: number;
  readonly environment: Readonly<Record<string, string>>;
  /** Print the function's stdout and stderr. @default false */
  readonly verbose?: boolean;
  /** Receives what the function writes to stdout (its log lines), before the call's result. */
  readonly onLog?: (text: string) => void;
}

export interface FunctionProcess {
  readonly invoke: LambdaFunction;
  /** Invokes a streamified handler; what it writes reaches `responseStream` as it is written. */
  readonly invokeStream: StreamingLambdaFunction;
  close(): void;
}

interface Pending {
  /** A streaming call's response stream, written as the function's chunks arrive. */
  stream?: Writable;
  resolve(value: unknown): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
  /** Stops the process at the call's timeout, armed again when the handler starts. */
  readonly expire: () => void;
}

/** The calls in flight, by id, and the process each was sent to. */
interface InFlight {
  readonly pending: Map<string, Pending>;
  readonly owners: Map<string, ChildProcess>;
}

/** A function's environment: the configured variables over the few of the gateway's own it passes on. */
function functionEnvironment(environment: Readonly<Record<string, string>>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (PASSED_THROUGH.test(k) && v !== undefined) env[k] = v;
  return Object.assign(env, environment);
}

/** A message of a function process: a log line, a streamed chunk, a stream's end, or a call's result. */
function deliver(
  calls: InFlight,
  m: ChildMessage,
  onLog: ((text: string) => void) | undefined,
  timeoutMs: number,
): void {
  if (m.log !== undefined) return void onLog?.(m.log);
  const p = calls.pending.get(m.id);
  if (!p) return;
  if (m.chunk !== undefined) return void p.stream?.write(Buffer.from(m.chunk, 'base64'));
  if (m.end) return void p.stream?.end();
  if (m.started) {
    clearTimeout(p.timer);
    p.timer = setTimeout(p.expire, timeoutMs);
    return;
  }
  calls.pending.delete(m.id);
  clearTimeout(p.timer);
  if (m.ok) p.resolve(m.result);
  else p.reject(new Error(m.message));
  calls.owners.delete(m.id);
}

/** Fails every call in flight in process `c`. */
function failAll(calls: InFlight, c: ChildProcess, why: string): void {
  for (const [id, p] of calls.pending) {
    if (calls.owners.get(id) !== c) continue;
    calls.pending.delete(id);
    clearTimeout(p.timer);
    p.reject(new Error(why));
  }
}

export function startFunctionProcess(options: FunctionProcessOptions): FunctionProcess {
  let child: ChildProcess | undefined;
  const calls: InFlight = { pending: new Map(), owners: new Map() };
  const env = functionEnvironment(options.environment);
  const timeoutMs = options.timeoutSeconds * 1000;

  const spawn = (): ChildProcess => {
    const capture = options.onLog ? '1' : '0';
    const c = fork(runner(), [options.codeDir, options.handler, options.name, String(timeoutMs), capture], {
      cwd: options.codeDir,
      env,
      execArgv: [],
      stdio: options.verbose
        ? ['ignore', 'inherit', 'inherit', 'ipc']
        : ['ignore', 'ignore', 'ignore', 'ipc'],
    });
    c.on('message', (m: ChildMessage) => deliver(calls, m, options.onLog, timeoutMs));
    c.on('exit', () => {
      if (child === c) child = undefined;
      failAll(calls, c, 'the function process exited');
    });
    return c;
  };

  const call = (event: unknown, stream?: Writable) =>
    new Promise<unknown>((resolve, reject) => {
      const c = (child ??= spawn());
      const id = randomUUID();
      // A client that goes away closes the response stream: the handler's stream is destroyed too.
      stream?.on('close', () => {
        if (calls.pending.has(id) && c.connected) c.send({ id, abort: true });
      });
      const expire = () => {
        // Lambda stops the environment at the timeout; in-flight calls of that process fail with it.
        failAll(calls, c, `Task timed out after ${options.timeoutSeconds} seconds`);
        if (child === c) child = undefined;
        c.kill('SIGKILL');
      };
      // Until the handler starts (a new process first loads its code, Lambda's init phase, which has a
      // limit of its own: https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html),
      // the call may also take the init limit; from the start, the function's timeout alone.
      const timer = setTimeout(expire, INIT_LIMIT_MS + timeoutMs);
      calls.pending.set(id, { resolve, reject, timer, expire, ...(stream ? { stream } : {}) });
      calls.owners.set(id, c);
      c.send({ id, event, ...(stream ? { stream: true } : {}) });
    });
  const invoke: LambdaFunction = (event) => call(event);
  const invokeStream: StreamingLambdaFunction = async (event, responseStream) => {
    await call(event, responseStream);
  };

  return {
    invoke,
    invokeStream,
    close: () => {
      const c = child;
      child = undefined;
      if (c) {
        failAll(calls, c, 'the local gateway is stopping');
        c.kill('SIGTERM');
      }
    },
  };
}
