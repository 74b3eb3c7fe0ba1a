/**
 * The authorizer's metrics: metric filters on its decision log (common/decision-log.ts writes the lines
 * they match) and the CloudWatch metrics they publish.
 */
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { DECISION_FIELDS, DECISION_MESSAGE, JWKS_FAILURE_MESSAGE } from '../../common/decision-log';

/** The metric filters of one authorizer's log group, publishing into `namespace`. */
export function addDecisionMetricFilters(
  scope: Construct,
  logGroup: logs.ILogGroup,
  namespace: string,
): void {
  const filter = (name: string, metricName: string, pattern: logs.IFilterPattern) =>
    new logs.MetricFilter(scope, name, {
      logGroup,
      metricNamespace: namespace,
      metricName,
      filterPattern: pattern,
      metricValue: '1',
      defaultValue: 0,
      unit: cloudwatch.Unit.COUNT,
    });
  const decision = (outcome: string) =>
    logs.FilterPattern.all(
      logs.FilterPattern.stringValue('$.message', '=', DECISION_MESSAGE),
      logs.FilterPattern.stringValue(`$.${DECISION_FIELDS.decision}`, '=', outcome),
    );
  filter('DenialsFilter', 'Denials', decision('deny'));
  filter('UnauthorizedFilter', 'Unauthorized', decision('unauthorized'));
  filter(
    'JwksFailuresFilter',
    'JwksFetchFailures',
    logs.FilterPattern.stringValue('$.message', '=', JWKS_FAILURE_MESSAGE),
  );
  filter('LoggedErrorsFilter', 'LoggedErrors', logs.FilterPattern.stringValue('$.level', '=', 'ERROR'));
  // One count per decision and reason code, for dashboards (reason codes are a closed list, so the
  // dimension stays small). CloudWatch allows no default value on a filter with dimensions.
  new logs.MetricFilter(scope, 'DecisionsFilter', {
    logGroup,
    metricNamespace: namespace,
    metricName: 'Decisions',
    filterPattern: logs.FilterPattern.stringValue('$.message', '=', DECISION_MESSAGE),
    metricValue: '1',
    dimensions: { Decision: `$.${DECISION_FIELDS.decision}`, Reason: `$.${DECISION_FIELDS.reason}` },
    unit: cloudwatch.Unit.COUNT,
  });
}

/** One metric of the filters above: a sum per 5 minutes unless `props` say otherwise. */
export function authorizerMetric(
  namespace: string,
  metricName: string,
  props?: cloudwatch.MetricOptions,
): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace,
    metricName,
    statistic: cloudwatch.Stats.SUM,
    period: Duration.minutes(5),
    ...props,
  });
}
