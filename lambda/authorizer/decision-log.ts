/**
 * The authorizer's log: one JSON line per request, the JWKS failure line, and the configuration error.
 *
 * The lines have Powertools Logger's shape, key for key (`level`, `message`, `timestamp`, `service`,
 * `cold_start`, `function_*`, `sampling_rate`, `xray_trace_id`, then the fields), so log queries and the
 * construct's metric filters read them exactly like the other functions' Powertools lines. They are written
 * by this small writer rather than by Powertools Logger itself: the benchmark measures one Powertools line
 * at several times the cost of the same line from JSON.stringify (about as much as verifying an RS256
 * signature), and Powertools at about a third of the authorizer bundle. `test/lambda/authorizer/
 * decision-log.test.ts` keeps the shape equal to a real Powertools line.
 *
 * Field names come from common/decision-log.ts, which the metric filters read too. What is logged is chosen
 * field by field: never the token, its signature or its claim set.
 */
import type { DecisionOutcome } from '../../common/decision-log';
import {
  DECISION_FIELDS,
  DECISION_MESSAGE,
  JWKS_FAILURE_ISSUER_FIELD,
  JWKS_FAILURE_MESSAGE,
} from '../../common/decision-log';
import type { ReasonCode } from '../../common/reason-codes';
import { AUTHORIZER_SERVICE_NAME } from '../../common/service-names';
import type { TokenFacts } from './types';

const CONFIG_INVALID_MESSAGE = 'authorizer configuration invalid; every request is denied';

export interface DecisionLine {
  /** API Gateway's request id (`correlation_id`), when the event carried one. */
  readonly requestId?: string;
  readonly decision: DecisionOutcome;
  readonly reason: ReasonCode;
  readonly route?: string;
  readonly facts?: TokenFacts;
  readonly durationMs: number;
  readonly cached: boolean;
  /** Only for internal_error: the error's class name (its message may carry claim values). */
  readonly errorType?: string;
}

/** The parts of the Lambda context the log lines carry (as Powertools' `addContext` does). */
export interface LambdaContextInfo {
  readonly functionName?: string;
  readonly invokedFunctionArn?: string;
  readonly memoryLimitInMB?: string;
  readonly awsRequestId?: string;
}

export interface DecisionLog {
  /** Called at the start of every invocation; the lines that follow carry its context. */
  startInvocation?(context: LambdaContextInfo | undefined): void;
  decision(line: DecisionLine): void;
  jwksFailure(issuer: string, reason: string): void;
  configInvalid(errors: readonly string[]): void;
}

export interface LogWriterOptions {
  /** Receives each line (without newline) and its level. @default stdout, stderr for ERROR */
  readonly write?: (line: string, level: LogLevel) => void;
  /** @default process.env */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Clock, epoch milliseconds. @default Date.now */
  readonly now?: () => number;
}

export type LogLevel = 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
const LEVELS: Readonly<Record<string, number>> = {
  TRACE: 0,
  DEBUG: 1,
  INFO: 2,
  WARN: 3,
  ERROR: 4,
  CRITICAL: 5,
  SILENT: 6,
};

/** Claim values in facts are attacker-chosen strings until verified: bound them before logging. */
const MAX_FACT_LENGTH = 256;

function fact(v: string | undefined): string | undefined {
  return typeof v === 'string' ? v.slice(0, MAX_FACT_LENGTH) : undefined;
}

let stdout: NodeJS.WriteStream | undefined;
let stderr: NodeJS.WriteStream | undefined;

function defaultWrite(line: string, level: LogLevel): void {
  // The streams are looked up once: `process.stdout` is a getter, and this runs on every request.
  if (level === 'ERROR') (stderr ??= process.stderr).write(`${line}\n`);
  else (stdout ??= process.stdout).write(`${line}\n`);
}

const TRACE_ROOT = /(?:^|;)Root=([^;]+)/;

/**
 * Powertools' timestamp, `Date.prototype.toISOString` of the line's instant. Formatting a Date costs about
 * half a microsecond, a tenth of a warm request, so the text of the current second is kept and only the
 * milliseconds are written per line. One string, replaced every second: no request's data.
 */
export class TimestampClock {
  private second = Number.NaN;
  private prefix = '';

  timestamp(instant: number): string {
    const ms = Math.floor(instant);
    const second = Math.floor(ms / 1000);
    if (second !== this.second) {
      const iso = new Date(ms).toISOString();
      // Outside years 0 to 9999 the ISO form has another shape: written whole, never kept.
      if (iso.length !== 24) return iso;
      this.second = second;
      this.prefix = iso.slice(0, 20);
    }
    const milli = ms - second * 1000;
    return `${this.prefix}${milli < 10 ? '00' : milli < 100 ? '0' : ''}${milli}Z`;
  }
}

/** JSON members (`,"k":v,...`) of an object, or '' when it has none: lines are joined from such parts. */
function members(o: Record<string, unknown>): string {
  const json = JSON.stringify(o);
  return json.length > 2 ? `,${json.slice(1, -1)}` : '';
}

/** A string as JSON: written as is when nothing in it needs escaping (the usual case), else stringified. */
function jsonString(s: string): string {
  return PLAIN.test(s) ? `"${s}"` : JSON.stringify(s);
}
const PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

/** One bounded fact as a JSON member, or '' when absent. */
function factMember(key: string, value: string | undefined): string {
  return typeof value === 'string' ? `,"${key}":${jsonString(fact(value) as string)}` : '';
}

/** The token's facts as JSON members (`,"iss":...`), in the line's order. */
export function factMembers(f: TokenFacts): string {
  return (
    factMember(DECISION_FIELDS.iss, f.iss) +
    factMember(DECISION_FIELDS.kid, f.kid) +
    factMember(DECISION_FIELDS.sub, f.sub) +
    factMember(DECISION_FIELDS.azp, f.azp)
  );
}

/**
 * The decision line's own members (`,"k":v,...`), in Powertools' order after the common ones.
 * @param facts the facts' members (factMembers). @default - written here
 */
export function decisionFields(
  line: DecisionLine,
  facts: string = line.facts === undefined ? '' : factMembers(line.facts),
): string {
  return (
    (line.requestId === undefined ? '' : `,"correlation_id":${jsonString(line.requestId)}`) +
    `,"${DECISION_FIELDS.decision}":"${line.decision}","${DECISION_FIELDS.reason}":"${line.reason}"` +
    (line.route === undefined ? '' : `,"${DECISION_FIELDS.route}":${jsonString(line.route)}`) +
    facts +
    `,"${DECISION_FIELDS.durationMs}":${Number.isFinite(line.durationMs) ? line.durationMs : null},"${DECISION_FIELDS.cached}":${line.cached === true}` +
    (line.errorType === undefined ? '' : `,"errorType":${jsonString(line.errorType)}`)
  );
}

/**
 * The members between a line's timestamp and its trace id, per invocation: service, the Lambda context
 * (cold_start, function_*) and sampling_rate. The parts that only change per container or per invocation
 * are serialized once, not per line.
 */
function invocationMembers(): {
  readonly start: (context: LambdaContextInfo | undefined) => void;
  readonly current: () => string;
} {
  const service = `,"service":${JSON.stringify(AUTHORIZER_SERVICE_NAME)}`;
  const sampling = ',"sampling_rate":0';
  let invocations = 0;
  let invocation = service + sampling;
  let fn: string | undefined;
  return {
    start(context) {
      invocations++;
      if (!context) {
        invocation = service + sampling;
        return;
      }
      // The function's own fields are the same for every invocation of a container: serialized once.
      fn ??= members({
        function_arn: context.invokedFunctionArn,
        function_memory_size: context.memoryLimitInMB,
        function_name: context.functionName,
      });
      invocation =
        `${service},"cold_start":${invocations === 1}${fn}` +
        (typeof context.awsRequestId === 'string'
          ? `,"function_request_id":${jsonString(context.awsRequestId)}${sampling}`
          : sampling);
    },
    current: () => invocation,
  };
}

/**
 * The facts' members of a token answered from the verified-claims cache, which brings the same facts
 * object on every request while the cache holds it: written once per such object, kept weakly with it
 * (the facts of a token verified afresh are written as they come, with nothing kept).
 */
function cachedFactMembers(): (line: DecisionLine) => string | undefined {
  const cachedFacts = new WeakMap<TokenFacts, string>();
  return (line) => {
    const f = line.facts;
    if (f === undefined || !line.cached) return undefined;
    let text = cachedFacts.get(f);
    if (text === undefined) cachedFacts.set(f, (text = factMembers(f)));
    return text;
  };
}

/** Each kind of line's serialized level and message. */
function lineHeads() {
  const head = (level: LogLevel, message: string) =>
    `{"level":"${level}","message":${JSON.stringify(message)}`;
  return {
    decision: head('INFO', DECISION_MESSAGE),
    decisionError: head('ERROR', DECISION_MESSAGE),
    jwks: head('WARN', JWKS_FAILURE_MESSAGE),
    config: head('ERROR', CONFIG_INVALID_MESSAGE),
  };
}

/**
 * The production log. The level threshold follows Powertools' variables (`POWERTOOLS_LOG_LEVEL`, then
 * `AWS_LAMBDA_LOG_LEVEL`, default INFO), read once.
 */
export function createDecisionLog(options: LogWriterOptions = {}): DecisionLog {
  const write = options.write ?? defaultWrite;
  const env = options.env ?? process.env;
  const now = options.now ?? Date.now;
  const threshold =
    LEVELS[(env.POWERTOOLS_LOG_LEVEL ?? env.AWS_LAMBDA_LOG_LEVEL ?? 'INFO').toUpperCase()] ?? LEVELS.INFO;
  const invocation = invocationMembers();
  const factsOf = cachedFactMembers();
  const HEADS = lineHeads();
  const clock = new TimestampClock();

  const trace = (): string => {
    const raw = env._X_AMZN_TRACE_ID;
    const m = typeof raw === 'string' ? TRACE_ROOT.exec(raw) : null;
    return m ? `,"xray_trace_id":${JSON.stringify(m[1])}` : '';
  };
  /** `start` is the line's serialized level and message; `fields` its JSON members, in the line's order. */
  const emit = (level: LogLevel, start: string, fields: string): void => {
    if (LEVELS[level] < threshold) return;
    write(
      `${start},"timestamp":"${clock.timestamp(now())}"${invocation.current()}${trace()}${fields}}`,
      level,
    );
  };
  return {
    startInvocation: (context) => invocation.start(context),
    decision(line) {
      const level: LogLevel = line.reason === 'internal_error' ? 'ERROR' : 'INFO';
      // A line below the threshold is not even formatted.
      if (LEVELS[level] < threshold) return;
      emit(
        level,
        level === 'ERROR' ? HEADS.decisionError : HEADS.decision,
        decisionFields(line, factsOf(line)),
      );
    },
    jwksFailure(issuer, reason) {
      emit('WARN', HEADS.jwks, members({ [JWKS_FAILURE_ISSUER_FIELD]: fact(issuer), reason: fact(reason) }));
    },
    configInvalid(errors) {
      emit(
        'ERROR',
        HEADS.config,
        members({
          [DECISION_FIELDS.reason]: 'config_invalid' satisfies ReasonCode,
          errors: errors.slice(0, 50).map((e) => e.slice(0, 300)),
        }),
      );
    },
  };
}
