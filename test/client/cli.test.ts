import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, test } from 'vitest';
import { USAGE, parseArgs, printStream } from '../../client/cli';
import { formatStreamEvent } from '../../common/model-stream';
import { startSigningServer, type SigningServer } from './signing-server';
import { outputOf, type ChildOutput } from '../support/child-output';

const BIN = path.join(__dirname, '..', '..', 'client', 'bin', 'keygate-call.js');
const KEY = { id: 'AKIDKEYGATECLI000001', secret: 'keygate/cli/secret/key/00000000000000000' };

function run(args: string[], stdin?: string): Promise<ChildOutput> {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: {
      PATH: process.env.PATH,
      HOME: tmpdir(),
      AWS_ACCESS_KEY_ID: KEY.id,
      AWS_SECRET_ACCESS_KEY: KEY.secret,
      AWS_SESSION_TOKEN: 'cli-session-token',
      AWS_REGION: 'eu-west-1',
      // Keep the credential chain off shared files and instance metadata.
      AWS_CONFIG_FILE: path.join(tmpdir(), 'keygate-no-config'),
      AWS_SHARED_CREDENTIALS_FILE: path.join(tmpdir(), 'keygate-no-credentials'),
      AWS_EC2_METADATA_DISABLED: 'true',
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  return outputOf(child, stdin);
}

describe('keygate-call', () => {
  let server: SigningServer;
  let dir: string;
  beforeAll(async () => {
    server = await startSigningServer({ [KEY.id]: KEY.secret }, (req) =>
      req.rawPath.includes('/forbidden/')
        ? { status: 403, body: { error: 'model_forbidden', message: 'no' } }
        : { status: 200, body: { method: req.method, path: req.rawPath, body: req.body } },
    );
    dir = mkdtempSync(path.join(tmpdir(), 'keygate-cli-'));
  });
  afterAll(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('--help prints the usage and exits 0', async () => {
    const r = await run(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(USAGE);
  });

  test('POST --data @file sends the file signed with the default credential chain and prints the answer', async () => {
    const file = path.join(dir, 'body.json');
    writeFileSync(file, '{"input":"What a great day"}');
    const r = await run(['POST', `${server.url}/prod/machine/models/sentiment/invoke`, '--data', `@${file}`]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      method: 'POST',
      path: '/prod/machine/models/sentiment/invoke',
      body: '{"input":"What a great day"}',
    });
    const req = server.received.at(-1)!;
    expect(req.signatureValid).toBe(true);
    expect(req.headers['x-amz-security-token']).toBe('cli-session-token');
    expect(req.headers['content-type']).toBe('application/json');
  });

  test('--data @- reads standard input; a 403 answer exits 1 with the body printed', async () => {
    const r = await run(
      [`${server.url}/prod/machine/models/forbidden/invoke`, '-d', '@-', '-i'],
      '{"input":"x"}',
    );
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^HTTP 403 Forbidden\n/);
    expect(r.stdout).toContain('{"error":"model_forbidden","message":"no"}');
    expect(server.received.at(-1)!.signatureValid).toBe(true);
  });

  test('a usage error exits 2', async () => {
    const r = await run(['FETCH', 'https://example.com']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      'keygate-call: METHOD must be one of GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS',
    );
  });
});

describe('parseArgs', () => {
  it.each<[string[], unknown]>([
    [['https://h/x'], { method: 'GET', url: 'https://h/x', headers: {}, include: false }],
    [
      ['https://h/x', '-d', '{}'],
      { method: 'POST', url: 'https://h/x', data: '{}', headers: {}, include: false },
    ],
    [
      ['put', 'https://h/x', '-H', 'X-Trace: 1', '--region', 'eu-west-1'],
      { method: 'PUT', url: 'https://h/x', headers: { 'x-trace': '1' }, region: 'eu-west-1', include: false },
    ],
  ])('%j', (argv, args) => {
    expect(parseArgs(argv)).toEqual({ ok: true, args });
  });

  it.each<[string[], string]>([
    [[], 'give one URL (and optionally a METHOD before it)'],
    [['ftp://h/x'], 'not an http(s) URL: ftp://h/x'],
    [['https://h/x', '--data'], '--data needs a value'],
    [['https://h/x', '-H', 'novalue'], "-H needs 'Name: value'"],
    [['https://h/x', '--verbose'], 'unknown option --verbose'],
  ])('%j is a usage error', (argv, error) => {
    expect(parseArgs(argv)).toEqual({ ok: false, help: false, error });
  });
});

describe('printStream (streamed model answers)', () => {
  test('prints each delta as it arrives, before the next one is sent, then the usage on stderr', async () => {
    // GIVEN a response body the test feeds one event at a time
    let feed!: ReadableStreamDefaultController<Uint8Array>;
    const body = new ReadableStream<Uint8Array>({ start: (c) => void (feed = c) });
    const enc = new TextEncoder();
    const out: string[] = [];
    const err: string[] = [];
    let printed!: () => void;
    const firstPrinted = new Promise<void>((resolve) => (printed = resolve));
    const io = {
      out: (s: string) => {
        out.push(s);
        printed();
      },
      err: (s: string) => void err.push(s),
    };
    // WHEN the first delta arrives, split across two chunks
    const done = printStream(body, io);
    const first = formatStreamEvent({ event: 'delta', data: { text: 'Hello' } });
    feed.enqueue(enc.encode(first.slice(0, 10)));
    feed.enqueue(enc.encode(first.slice(10)));
    await firstPrinted;
    // THEN it is printed while the stream is still open
    expect(out).toEqual(['Hello']);
    feed.enqueue(enc.encode(formatStreamEvent({ event: 'delta', data: { text: ' world' } })));
    feed.enqueue(
      enc.encode(
        formatStreamEvent({
          event: 'done',
          data: {
            modelId: 'm',
            stopReason: 'end_turn',
            usage: { inputTokens: 4, outputTokens: 2 },
            requestId: 'r',
          },
        }),
      ),
    );
    feed.close();
    expect(await done).toBe(true);
    expect(out.join('')).toBe('Hello world\n');
    expect(err).toEqual(['[end_turn, tokens in 4 / out 2]\n']);
  });

  test('an error event ends the answer unsuccessfully, naming the error', async () => {
    const text =
      formatStreamEvent({ event: 'delta', data: { text: 'Half' } }) +
      formatStreamEvent({ event: 'error', data: { error: 'model_throttled', message: 'the model is busy' } });
    const out: string[] = [];
    const err: string[] = [];
    const ok = await printStream(new Response(text).body!, {
      out: (s) => void out.push(s),
      err: (s) => void err.push(s),
    });
    expect(ok).toBe(false);
    expect(out.join('')).toBe('Half\n');
    expect(err).toEqual(['keygate-call: the model failed mid-answer: model_throttled: the model is busy\n']);
  });

  test('a stream cut before its last event is reported and fails', async () => {
    const err: string[] = [];
    const ok = await printStream(
      new Response(formatStreamEvent({ event: 'delta', data: { text: 'x' } })).body!,
      {
        out: () => {},
        err: (s) => void err.push(s),
      },
    );
    expect(ok).toBe(false);
    expect(err).toEqual(['\nkeygate-call: the stream ended before its last event\n']);
  });
});
