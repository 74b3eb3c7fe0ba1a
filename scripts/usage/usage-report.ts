/**
 * The core of `npm run usage`: backend log lines in, "who used how much of which model" out. Pure: the
 * lines come from a file or from CloudWatch Logs (cloudwatch-source.ts); nothing here does I/O.
 */
import {
  CALLER_KINDS,
  USAGE_DIMENSIONS,
  USAGE_METRICS,
  USAGE_NAMESPACE,
  USAGE_PROPERTIES,
  type CallerKind,
} from '../../common/usage-record';
import { formatTable } from '../../local/access-matrix';

/** A usage line read back: what the backend recorded, and when. */
export interface UsageLine {
  readonly timestamp: number;
  readonly model: string;
  readonly callerKind: CallerKind;
  readonly callerId: string;
  readonly callerName: string;
  readonly invocations: number;
  readonly errors: number;
  readonly latencyMs: number;
  readonly inputTokens?: number;
  readonly outputTokens?: number;
}

export interface UsageRow {
  readonly callerName: string;
  readonly callerKind: CallerKind;
  readonly callerId: string;
  readonly model: string;
  readonly invocations: number;
  readonly errors: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly avgLatencyMs: number;
}

/**
 * One log line as CloudWatch holds it, as `aws logs` exports it, or as FilterLogEvents returns it: a raw
 * EMF JSON line, a JSON event with the line in `message`, or a line with a prefix (timestamp, stream name)
 * before the JSON. Anything that is not a Keygate usage line is undefined, never an error: log groups hold
 * other lines too.
 */
export function parseUsageLine(line: string): UsageLine | undefined {
  const start = line.indexOf('{');
  if (start < 0) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(line.slice(start));
  } catch {
    return undefined;
  }
  if (isRecord(value) && typeof value.message === 'string' && !isRecord(value._aws)) {
    return parseUsageLine(value.message);
  }
  if (!isRecord(value) || !isRecord(value._aws)) return undefined;
  const directives = value._aws.CloudWatchMetrics;
  if (!Array.isArray(directives) || !directives.some((d) => isRecord(d) && d.Namespace === USAGE_NAMESPACE)) {
    return undefined;
  }
  const num = (k: string) =>
    typeof value[k] === 'number' && Number.isFinite(value[k]) ? (value[k] as number) : undefined;
  const str = (k: string) => (typeof value[k] === 'string' ? (value[k] as string) : undefined);
  const invocations = num(USAGE_METRICS.invocations);
  const model = str(USAGE_DIMENSIONS.model);
  const callerKind = str(USAGE_DIMENSIONS.callerKind);
  const callerId = str(USAGE_PROPERTIES.callerId);
  if (invocations === undefined || !model || !callerId || !CALLER_KINDS.includes(callerKind as CallerKind)) {
    return undefined;
  }
  const inputTokens = num(USAGE_METRICS.inputTokens);
  const outputTokens = num(USAGE_METRICS.outputTokens);
  return {
    timestamp: typeof value._aws.Timestamp === 'number' ? value._aws.Timestamp : 0,
    model,
    callerKind: callerKind as CallerKind,
    callerId,
    callerName: str(USAGE_PROPERTIES.callerName) || callerId,
    invocations,
    errors: num(USAGE_METRICS.errors) ?? 0,
    latencyMs: num(USAGE_METRICS.latency) ?? 0,
    ...(inputTokens !== undefined ? { inputTokens } : {}),
    ...(outputTokens !== undefined ? { outputTokens } : {}),
  };
}

/** Sums the lines at or after `since` (epoch ms) per caller and model; most invocations first. */
export function summarizeUsage(lines: readonly UsageLine[], since = 0): UsageRow[] {
  const groups = new Map<string, { row: Omit<UsageRow, 'avgLatencyMs'>; latency: number }>();
  for (const l of lines) {
    if (l.timestamp < since) continue;
    const key = JSON.stringify([l.callerKind, l.callerId, l.model]);
    const g = groups.get(key) ?? {
      row: {
        callerName: l.callerName,
        callerKind: l.callerKind,
        callerId: l.callerId,
        model: l.model,
        invocations: 0,
        errors: 0,
        inputTokens: 0,
        outputTokens: 0,
      },
      latency: 0,
    };
    g.row = {
      ...g.row,
      invocations: g.row.invocations + l.invocations,
      errors: g.row.errors + l.errors,
      inputTokens: g.row.inputTokens + (l.inputTokens ?? 0),
      outputTokens: g.row.outputTokens + (l.outputTokens ?? 0),
    };
    g.latency += l.latencyMs * l.invocations;
    groups.set(key, g);
  }
  return [...groups.values()]
    .map(({ row, latency }) => ({
      ...row,
      avgLatencyMs: row.invocations > 0 ? Math.round((latency / row.invocations) * 10) / 10 : 0,
    }))
    .sort(
      (a, b) =>
        b.invocations - a.invocations ||
        a.callerName.localeCompare(b.callerName) ||
        a.callerKind.localeCompare(b.callerKind) ||
        a.model.localeCompare(b.model),
    );
}

export const USAGE_TABLE_HEADERS = [
  'caller',
  'kind',
  'model',
  'calls',
  'errors',
  'input tokens',
  'output tokens',
  'avg latency ms',
];

export function formatUsageTable(rows: readonly UsageRow[]): string {
  if (rows.length === 0) return 'No model invocations in this period.';
  return formatTable(
    USAGE_TABLE_HEADERS,
    rows.map((r) => [
      r.callerName,
      r.callerKind,
      r.model,
      String(r.invocations),
      String(r.errors),
      String(r.inputTokens),
      String(r.outputTokens),
      String(r.avgLatencyMs),
    ]),
  );
}

const DURATION = /^(\d{1,6})(m|h|d)$/;

/** `30m`, `24h`, `7d` in milliseconds; undefined for anything else. */
export function parseSince(text: string): number | undefined {
  const m = DURATION.exec(text);
  if (!m) return undefined;
  const unit = { m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'm' | 'h' | 'd'];
  return Number(m[1]) * unit;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
