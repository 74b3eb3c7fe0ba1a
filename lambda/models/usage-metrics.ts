/**
 * Usage per caller and model: one embedded-metric-format line per invocation that reached a model
 * (common/usage-record.ts), written with Powertools Metrics. The record is built by pure functions; the
 * sink is a parameter, so tests and the local stack can keep or print the lines.
 */
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { ModelConfig } from '../../common/app-config';
import type { StreamUsage } from '../../common/model-stream';
import {
  ERROR_OUTCOMES,
  USAGE_DIMENSIONS,
  USAGE_METRICS,
  USAGE_PROPERTIES,
  type CallerKind,
  type UsageRecord,
} from '../../common/usage-record';
import type { Caller } from './types';

export interface UsageSink {
  record(usage: UsageRecord): void;
}

export const NO_USAGE: UsageSink = { record() {} };

/** The caller's kind, stable id and readable name. */
export function describeUsageCaller(caller: Caller): { kind: CallerKind; id: string; name: string } {
  if (caller.type === 'iam') {
    // An assumed-role session ARN names a new session per call: keep the role, drop the session name.
    const m = /^(arn:[^:]+:sts::\d{12}:assumed-role\/([^/]+))\/.+$/.exec(caller.principalArn);
    if (m) return { kind: 'iam', id: m[1], name: m[2] };
    return { kind: 'iam', id: caller.principalArn, name: caller.principalArn.split('/').pop() ?? '' };
  }
  switch (caller.tokenKind) {
    case 'keycloak-service-account':
      return { kind: 'service-account', id: caller.sub, name: caller.clientId || caller.sub };
    case 'keycloak-user':
    case 'cognito':
      return { kind: 'person', id: caller.sub, name: caller.username || caller.sub };
    default:
      return { kind: 'token', id: caller.sub, name: caller.username || caller.clientId || caller.sub };
  }
}

export function usageRecord(
  caller: Caller,
  model: ModelConfig,
  outcome: string,
  latencyMs: number,
  tokens?: StreamUsage,
): UsageRecord {
  const who = describeUsageCaller(caller);
  return {
    modelId: model.id,
    callerKind: who.kind,
    callerId: who.id,
    callerName: who.name,
    outcome,
    latencyMs,
    ...(typeof tokens?.inputTokens === 'number' ? { inputTokens: tokens.inputTokens } : {}),
    ...(typeof tokens?.outputTokens === 'number' ? { outputTokens: tokens.outputTokens } : {}),
  };
}

/**
 * Writes each record as one EMF line: Powertools Metrics buffers the metrics, dimensions and metadata
 * (properties) and `publishStoredMetrics` prints them as one JSON line, then clears the dimensions and
 * metadata for the next invocation (https://docs.powertools.aws.dev/lambda/typescript/latest/features/metrics/).
 */
export function powertoolsUsageSink(metrics: Metrics): UsageSink {
  return {
    record(u) {
      metrics.addDimensions({
        [USAGE_DIMENSIONS.model]: u.modelId,
        [USAGE_DIMENSIONS.callerKind]: u.callerKind,
      });
      metrics.addMetric(USAGE_METRICS.invocations, MetricUnit.Count, 1);
      metrics.addMetric(USAGE_METRICS.errors, MetricUnit.Count, ERROR_OUTCOMES.has(u.outcome) ? 1 : 0);
      metrics.addMetric(USAGE_METRICS.latency, MetricUnit.Milliseconds, u.latencyMs);
      if (u.inputTokens !== undefined)
        metrics.addMetric(USAGE_METRICS.inputTokens, MetricUnit.Count, u.inputTokens);
      if (u.outputTokens !== undefined) {
        metrics.addMetric(USAGE_METRICS.outputTokens, MetricUnit.Count, u.outputTokens);
      }
      metrics.addMetadata(USAGE_PROPERTIES.callerId, u.callerId);
      metrics.addMetadata(USAGE_PROPERTIES.callerName, u.callerName);
      metrics.addMetadata(USAGE_PROPERTIES.outcome, u.outcome);
      metrics.publishStoredMetrics();
    },
  };
}
