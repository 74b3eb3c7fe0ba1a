import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { CloudWatchLogsClient, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, describe, expect, test, vi } from 'vitest';
import { USAGE_FILTER_PATTERN, USAGE_NAMESPACE, type UsageRecord } from '../../common/usage-record';
import { powertoolsUsageSink } from '../../lambda/models/usage-metrics';
import { readUsageLines } from '../../scripts/usage/cloudwatch-source';
import { runUsage, type UsageCliDeps } from '../../scripts/usage';

const logsMock = mockClient(CloudWatchLogsClient);
afterEach(() => logsMock.reset());

const NOW = Date.UTC(2026, 11, 4, 12, 0, 0);

/** Usage lines exactly as the backend's Powertools Metrics sink prints them. */
function backendLines(records: UsageRecord[]): string[] {
  const printed: string[] = [];
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    printed.push(String(chunk));
    return true;
  });
  try {
    const sink = powertoolsUsageSink(
      new Metrics({ namespace: USAGE_NAMESPACE, serviceName: 'keygate-models' }),
    );
    for (const r of records) sink.record(r);
  } finally {
    spy.mockRestore();
  }
  return printed
    .join('')
    .split('\n')
    .filter((l) => l.startsWith('{'));
}

const alice = { callerKind: 'person', callerId: 'sub-alice', callerName: 'alice' } as const;
const batch = { callerKind: 'service-account', callerId: 'sub-batch', callerName: 'batch-scorer' } as const;

function deps(overrides: Partial<UsageCliDeps> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    deps: {
      out: (s: string) => void out.push(s),
      err: (s: string) => void err.push(s),
      now: () => NOW,
      readFile: () => {
        throw new Error('no file expected');
      },
      cloudWatch: () => Promise.reject(new Error('no AWS call expected')),
      ...overrides,
    } satisfies UsageCliDeps,
  };
}

describe('npm run usage', () => {
  let dir: string;
  let lines: string[];
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'keygate-usage-'));
    vi.useFakeTimers({ now: NOW - 60_000, toFake: ['Date'] });
    lines = backendLines([
      { modelId: 'haiku', ...alice, outcome: 'success', latencyMs: 400, inputTokens: 12, outputTokens: 30 },
      { modelId: 'haiku', ...alice, outcome: 'model_error', latencyMs: 200 },
      { modelId: 'sentiment', ...batch, outcome: 'success', latencyMs: 5 },
    ]);
    vi.setSystemTime(NOW - 3 * 86_400_000);
    lines.push(
      ...backendLines([{ modelId: 'haiku', ...batch, outcome: 'success', latencyMs: 1, inputTokens: 1 }]),
    );
    vi.useRealTimers();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('--file: a table of who used how much of which model, from exported lines in any of the usual shapes', async () => {
    // GIVEN the lines as a raw line, an `aws logs tail` line, a FilterLogEvents event, among other log lines
    const file = path.join(dir, 'lines.txt');
    writeFileSync(
      file,
      [
        'START RequestId: 1f2e Version: $LATEST',
        lines[0],
        `2026-12-04T11:59:00.000Z 2026/12/04/[$LATEST]abc ${lines[1]}`,
        JSON.stringify({ timestamp: NOW, message: lines[2], logStreamName: 's' }),
        '{"level":"INFO","message":"model invocation","audit":true}',
        lines[3],
        'not json {',
      ].join('\n'),
    );
    const { out, err, deps: d } = deps({ readFile: (p) => readFileSync(p, 'utf8') });
    // WHEN
    const code = await runUsage(['--since', '24h', '--file', file], d);
    // THEN (the line from three days ago is outside the window)
    expect(err).toEqual([]);
    expect(code).toBe(0);
    expect(out.join('')).toBe(
      [
        'Model usage since 2026-12-03T12:00:00.000Z (24h):',
        '',
        'caller        kind             model      calls  errors  input tokens  output tokens  avg latency ms',
        '------------  ---------------  ---------  -----  ------  ------------  -------------  --------------',
        'alice         person           haiku      2      1       12            30             300',
        'batch-scorer  service-account  sentiment  1      0       0             0              5',
        '',
      ].join('\n'),
    );
  });

  test('reads CloudWatch Logs with FilterLogEvents, page by page, over the requested window', async () => {
    logsMock
      .on(FilterLogEventsCommand)
      .resolvesOnce({ events: [{ message: lines[0] }, { message: lines[1] }], nextToken: 'page-2' })
      .resolvesOnce({ events: [{ message: lines[2] }] });
    const client = new CloudWatchLogsClient({ region: 'eu-west-1' });
    const { out, deps: d } = deps({ cloudWatch: ({ region: _r, ...q }) => readUsageLines(client, q) });
    const code = await runUsage(['--since', '2h', '--log-group', '/aws/lambda/keygate-models'], d);
    expect(code).toBe(0);
    const calls = logsMock.commandCalls(FilterLogEventsCommand);
    expect(calls.map((c) => c.args[0].input)).toEqual([
      {
        logGroupName: '/aws/lambda/keygate-models',
        startTime: NOW - 2 * 3_600_000,
        endTime: NOW,
        filterPattern: USAGE_FILTER_PATTERN,
      },
      {
        logGroupName: '/aws/lambda/keygate-models',
        startTime: NOW - 2 * 3_600_000,
        endTime: NOW,
        filterPattern: USAGE_FILTER_PATTERN,
        nextToken: 'page-2',
      },
    ]);
    expect(out.join('')).toContain('alice         person           haiku      2      1');
  });

  test.each([
    [
      ['--since', '1w', '--file', 'x'],
      "usage: --since must be a number followed by m, h or d (e.g. 24h), got '1w'\n",
    ],
    [['--since', '24h'], 'usage: give exactly one of --log-group and --file'],
    [['--file', 'x', '--log-group', 'g'], 'usage: give exactly one of --log-group and --file'],
  ])('%j is a usage error (exit 2)', async (argv, message) => {
    const { err, deps: d } = deps();
    expect(await runUsage(argv, d)).toBe(2);
    expect(err.join('')).toContain(message);
  });
});
