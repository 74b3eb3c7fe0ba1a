/**
 * `npm run usage -- --since 24h --log-group <name>`: who used how much of which model, from the model
 * backend's usage lines in CloudWatch Logs (the stack prints the log group as `ModelsLogGroupName`).
 * `--file <path>` reads exported log lines instead (one per line: raw JSON lines, `aws logs` output, or
 * FilterLogEvents events), with no AWS call. The same table as the saved Logs Insights query
 * `keygate/<stage>/usage-by-caller-and-model`.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { readUsageLines } from './usage/cloudwatch-source';
import {
  formatUsageTable,
  parseSince,
  parseUsageLine,
  summarizeUsage,
  type UsageLine,
} from './usage/usage-report';

export const USAGE_HELP = `Usage: npm run usage -- [--since 24h] (--log-group <name> [--region <region>] | --file <path>)

  --since <n>(m|h|d)   how far back (default 24h)
  --log-group <name>   the model backend's log group (stack output ModelsLogGroupName)
  --region <region>    its region (default: AWS_REGION)
  --file <path>        exported log lines instead of CloudWatch Logs
`;

export interface UsageCliDeps {
  readonly out: (s: string) => void;
  readonly err: (s: string) => void;
  readonly now: () => number;
  /** Reads the lines from CloudWatch Logs (the SDK client is created here, on demand). */
  readonly cloudWatch: (q: {
    logGroupName: string;
    region?: string;
    startTime: number;
    endTime: number;
  }) => Promise<{
    lines: string[];
    truncated: boolean;
  }>;
  readonly readFile: (path: string) => string;
}

export async function runUsage(argv: readonly string[], deps: UsageCliDeps): Promise<number> {
  let args;
  try {
    args = parseArgs({
      args: [...argv],
      options: {
        since: { type: 'string', default: '24h' },
        'log-group': { type: 'string' },
        region: { type: 'string' },
        file: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }).values;
  } catch (e) {
    deps.err(`usage: ${(e as Error).message}\n\n${USAGE_HELP}`);
    return 2;
  }
  if (args.help) {
    deps.out(USAGE_HELP);
    return 0;
  }
  const window = parseSince(args.since ?? '24h');
  if (window === undefined) {
    deps.err(`usage: --since must be a number followed by m, h or d (e.g. 24h), got '${args.since}'\n`);
    return 2;
  }
  if ((args.file === undefined) === (args['log-group'] === undefined)) {
    deps.err(`usage: give exactly one of --log-group and --file\n\n${USAGE_HELP}`);
    return 2;
  }
  const endTime = deps.now();
  const startTime = endTime - window;
  let raw: string[];
  if (args.file !== undefined) {
    raw = deps.readFile(args.file).split('\n');
  } else {
    const read = await deps.cloudWatch({
      logGroupName: args['log-group']!,
      region: args.region,
      startTime,
      endTime,
    });
    raw = read.lines;
    if (read.truncated)
      deps.err('usage: more lines than one report reads; the table counts the first ones only\n');
  }
  const lines = raw.map(parseUsageLine).filter((l): l is UsageLine => l !== undefined);
  deps.out(`Model usage since ${new Date(startTime).toISOString()} (${args.since}):\n\n`);
  deps.out(`${formatUsageTable(summarizeUsage(lines, startTime))}\n`);
  return 0;
}

if (require.main === module) {
  runUsage(process.argv.slice(2), {
    out: (s) => process.stdout.write(s),
    err: (s) => process.stderr.write(s),
    now: Date.now,
    readFile: (p) => readFileSync(p, 'utf8'),
    cloudWatch: async ({ region, ...q }) => {
      const { CloudWatchLogsClient } = await import('@aws-sdk/client-cloudwatch-logs');
      const client = new CloudWatchLogsClient(region ? { region } : {});
      try {
        return await readUsageLines(client, q);
      } finally {
        client.destroy();
      }
    },
  }).then(
    (code) => process.exit(code),
    (e: unknown) => {
      console.error(`usage: ${e instanceof Error ? e.message : String(e)}`);
      process.exit(1);
    },
  );
}
