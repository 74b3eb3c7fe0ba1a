/**
 * The usage line of a model invocation: a CloudWatch embedded-metric-format (EMF) line the model backend
 * writes with Powertools Metrics, the report (`npm run usage`) reads back, and the saved Logs Insights
 * query aggregates. One contract, so the writer, the readers and the query cannot drift apart.
 *
 * Metrics (namespace `Keygate`): Invocations, Errors, Latency (ms), InputTokens and OutputTokens (language
 * models). Dimensions: `service`, `model` and `callerKind`: few values each, so few metric series. Who
 * called is in the line's properties (`callerId`, `callerName`), never a dimension: one series per caller
 * would be unbounded cardinality, billed per series
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html).
 */

export const USAGE_NAMESPACE = 'Keygate';

export const USAGE_METRICS = {
  invocations: 'Invocations',
  errors: 'Errors',
  latency: 'Latency',
  inputTokens: 'InputTokens',
  outputTokens: 'OutputTokens',
} as const;

export const USAGE_DIMENSIONS = { model: 'model', callerKind: 'callerKind' } as const;

/** Properties of the line (EMF "target members" that are neither metrics nor dimensions). */
export const USAGE_PROPERTIES = {
  callerId: 'callerId',
  callerName: 'callerName',
  outcome: 'outcome',
} as const;

/** Who called, by the kind of credential: people, service accounts (client credentials), IAM principals. */
export const CALLER_KINDS = ['person', 'service-account', 'iam', 'token'] as const;
export type CallerKind = (typeof CALLER_KINDS)[number];

/** One model invocation that reached a model, as the backend records it. */
export interface UsageRecord {
  readonly modelId: string;
  readonly callerKind: CallerKind;
  /** Stable id: the token's `sub`, or the IAM principal ARN (an assumed role without its session name). */
  readonly callerId: string;
  /** For people to read: username, service-account client id, or role name. */
  readonly callerName: string;
  /** `success`, `model_error`, `internal_error` or `cancelled`. */
  readonly outcome: string;
  readonly latencyMs: number;
  readonly inputTokens?: number;
  readonly outputTokens?: number;
}

/** Outcomes counted as errors: the model (or the backend) failed, not the caller's request. */
export const ERROR_OUTCOMES: ReadonlySet<string> = new Set(['model_error', 'internal_error']);

/**
 * The Logs Insights query behind the saved QueryDefinition: who used how much of which model
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/CWL_QuerySyntax.html). In parts, as the
 * construct's `logs.QueryString` takes them; USAGE_INSIGHTS_QUERY is the text it renders.
 */
export const USAGE_QUERY_PARTS = {
  filter: `ispresent(${USAGE_METRICS.invocations}) and ispresent(${USAGE_PROPERTIES.callerId})`,
  stats:
    `sum(${USAGE_METRICS.invocations}) as invocations, sum(${USAGE_METRICS.errors}) as errors,` +
    ` sum(${USAGE_METRICS.inputTokens}) as inputTokens, sum(${USAGE_METRICS.outputTokens}) as outputTokens,` +
    ` avg(${USAGE_METRICS.latency}) as avgLatencyMs` +
    ` by ${USAGE_PROPERTIES.callerName}, ${USAGE_DIMENSIONS.callerKind}, ${USAGE_DIMENSIONS.model}`,
  sort: 'invocations desc',
} as const;

export const USAGE_INSIGHTS_QUERY = [
  `filter ${USAGE_QUERY_PARTS.filter}`,
  `stats ${USAGE_QUERY_PARTS.stats}`,
  `sort ${USAGE_QUERY_PARTS.sort}`,
].join('\n| ');

/** The FilterLogEvents pattern that selects usage lines (a JSON pattern on a top-level metric value). */
export const USAGE_FILTER_PATTERN = `{ $.${USAGE_METRICS.invocations} = 1 }`;
