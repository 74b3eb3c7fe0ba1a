import { Duration, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import { AUDIT_ERROR_OUTCOMES } from '../../common/model-audit-log';
import type { ReasonCode } from '../../common/reason-codes';
import { REASON_CODES, isUnauthenticated } from '../../common/reason-codes';
import type { SecuredHttpApi } from '../api/secured-http-api';
import type { SecuredRestApi } from '../api/secured-rest-api';
import type { KeygateAuthorizer } from '../authorizer/keygate-authorizer';
import type { ModelBackend } from '../backends/model-backend';
import { KeygateValidationError } from '../internal/validation-error';

/** Properties of the Keygate dashboard. */
export interface KeygateDashboardProps {
  /** The authorizer whose decisions, latency, cold starts and JWKS failures are shown. */
  readonly authorizer: KeygateAuthorizer;
  /**
   * HTTP APIs to show requests, 4xx, 5xx and latency for (one row each).
   * @default - none
   */
  readonly httpApis?: SecuredHttpApi[];
  /**
   * REST APIs to show requests, 4XXError, 5XXError and latency for (one row each).
   * @default - none
   */
  readonly restApis?: SecuredRestApi[];
  /**
   * Model backend whose invocations and errors are shown per model.
   * @default - no model row
   */
  readonly modelBackend?: ModelBackend;
  /**
   * Name of the dashboard (letters, digits, `-` and `_`).
   * @default - a name CloudFormation generates
   */
  readonly dashboardName?: string;
  /**
   * Period of every graph: a whole number of minutes.
   * @default Duration.minutes(5)
   */
  readonly period?: Duration;
}

const WIDTH = 24;
const HEIGHT = 6;

/**
 * A CloudWatch dashboard over the metrics Keygate already emits: the authorizer's decisions by outcome
 * and reason (metric filters on its decision log), its duration, cold starts and errors (AWS/Lambda and
 * the Lambda REPORT lines), JWKS fetch failures, each API's requests, 4xx, 5xx and latency (AWS/ApiGateway),
 * and each model's invocations and errors (a metric filter on the model backend's audit log). It adds no
 * metric of its own; every widget reads what is published anyway.
 */
export class KeygateDashboard extends Construct {
  /** The dashboard. */
  public readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: KeygateDashboardProps) {
    super(scope, id);
    const period = props.period ?? Duration.minutes(5);
    const seconds = period.toSeconds();
    if (!Number.isInteger(seconds / 60) || seconds < 60 || seconds > 86400) {
      throw new KeygateValidationError(
        this,
        'period',
        `KeygateDashboard: period must be a whole number of minutes from 1 to 1440, got ${seconds} seconds`,
      );
    }
    if (
      props.dashboardName !== undefined &&
      !Token.isUnresolved(props.dashboardName) &&
      !/^[A-Za-z0-9_-]{1,255}$/.test(props.dashboardName)
    ) {
      throw new KeygateValidationError(
        this,
        'dashboardName',
        `KeygateDashboard: dashboardName must be 1-255 letters, digits, '-' or '_', got '${props.dashboardName}'`,
      );
    }
    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      ...(props.dashboardName !== undefined ? { dashboardName: props.dashboardName } : {}),
      defaultInterval: Duration.hours(3),
    });
    const a = props.authorizer;

    this.dashboard.addWidgets(
      new cloudwatch.TextWidget({
        markdown:
          '## Keygate\nAuthorizer decisions (401 = no valid identity, 403 = valid identity without permission), ' +
          'the authorizer function, each API, and each model. Counts are sums per period.',
        width: WIDTH,
        height: 2,
      }),
    );
    this.dashboard.addWidgets(...decisionWidgets(a, period));
    this.dashboard.addWidgets(...authorizerWidgets(a, period));
    for (const api of props.httpApis ?? []) this.dashboard.addWidgets(...httpApiWidgets(api, period));
    for (const api of props.restApis ?? []) this.dashboard.addWidgets(...restApiWidgets(api, period));
    if (props.modelBackend) this.dashboard.addWidgets(...modelWidgets(props.modelBackend, period));
  }
}

/** The decision (log field `decision`) a reason code comes with. */
function outcomeOf(reason: ReasonCode): 'allow' | 'deny' | 'unauthorized' {
  if (reason === 'allowed') return 'allow';
  return isUnauthenticated(reason) ? 'unauthorized' : 'deny';
}

function graph(
  title: string,
  left: cloudwatch.IMetric[],
  width: number,
  period: Duration,
  stacked = false,
): cloudwatch.GraphWidget {
  return new cloudwatch.GraphWidget({ title, left, width, height: HEIGHT, stacked, period });
}

function decisionWidgets(a: KeygateAuthorizer, period: Duration): cloudwatch.IWidget[] {
  const reasons = Object.keys(REASON_CODES) as ReasonCode[];
  const byReason = (outcome: 'deny' | 'unauthorized') =>
    reasons
      .filter((r) => outcomeOf(r) === outcome)
      .map((r) => a.metricDecisions(outcome, r, { period, label: r }));
  return [
    graph(
      'Authorizer decisions by outcome',
      [
        a.metricDecisions('allow', 'allowed', { period, label: 'allow' }),
        a.metricDenials({ period, label: 'deny (403)' }),
        a.metricUnauthorized({ period, label: 'unauthorized (401)' }),
      ],
      8,
      period,
      true,
    ),
    graph('Denied (403) by reason', byReason('deny'), 8, period, true),
    graph('Unauthorized (401) by reason', byReason('unauthorized'), 8, period, true),
  ];
}

function authorizerWidgets(a: KeygateAuthorizer, period: Duration): cloudwatch.IWidget[] {
  const duration = (statistic: string) =>
    a.handler.metricDuration({ period, statistic, label: `duration ${statistic}` });
  return [
    graph('Authorizer duration (ms)', [duration('p50'), duration('p99'), duration('Maximum')], 6, period),
    // Lambda publishes no cold-start metric; its REPORT line carries Init Duration on cold starts only
    // (https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-logformat.html).
    new cloudwatch.LogQueryWidget({
      title: 'Authorizer cold starts',
      logGroupNames: [a.logGroup.logGroupName],
      queryLines: [
        'filter @type = "REPORT" and ispresent(@initDuration)',
        `stats count(*) as coldStarts, avg(@initDuration) as avgInitMs, max(@initDuration) as maxInitMs by bin(${period.toMinutes()}m)`,
      ],
      view: cloudwatch.LogQueryVisualizationType.LINE,
      width: 6,
      height: HEIGHT,
    }),
    graph(
      'Authorizer errors',
      [
        a.handler.metricErrors({ period, statistic: cloudwatch.Stats.SUM, label: 'function errors' }),
        a.handler.metricThrottles({ period, statistic: cloudwatch.Stats.SUM, label: 'throttles' }),
        a.metricLoggedErrors({ period, label: 'logged errors' }),
      ],
      6,
      period,
    ),
    graph(
      'JWKS fetch failures',
      [a.metricJwksFetchFailures({ period, label: 'JWKS fetch failures' })],
      6,
      period,
    ),
  ];
}

/**
 * HTTP API metrics: `Count`, `4xx`, `5xx`, `Latency`, `IntegrationLatency` by `ApiId` and `Stage`
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-metrics.html).
 */
function httpApiWidgets(api: SecuredHttpApi, period: Duration): cloudwatch.IWidget[] {
  const dimensionsMap = { ApiId: api.httpApi.apiId, Stage: api.stage.stageName };
  return apiWidgets(`${api.node.id} (HTTP API)`, dimensionsMap, period, '4xx', '5xx');
}

/**
 * REST API metrics: `Count`, `4XXError`, `5XXError`, `Latency`, `IntegrationLatency` by `ApiName` and
 * `Stage` (https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-metrics-and-dimensions.html).
 */
function restApiWidgets(api: SecuredRestApi, period: Duration): cloudwatch.IWidget[] {
  const dimensionsMap = { ApiName: api.restApi.restApiName, Stage: api.stageName };
  return apiWidgets(`${api.node.id} (REST API)`, dimensionsMap, period, '4XXError', '5XXError');
}

function apiWidgets(
  title: string,
  dimensionsMap: Record<string, string>,
  period: Duration,
  clientErrors: string,
  serverErrors: string,
): cloudwatch.IWidget[] {
  const metric = (metricName: string, statistic: string, label: string) =>
    new cloudwatch.Metric({
      namespace: 'AWS/ApiGateway',
      metricName,
      dimensionsMap,
      period,
      statistic,
      label,
    });
  return [
    graph(
      `${title}: requests and errors`,
      [
        metric('Count', cloudwatch.Stats.SUM, 'requests'),
        metric(clientErrors, cloudwatch.Stats.SUM, clientErrors),
        metric(serverErrors, cloudwatch.Stats.SUM, serverErrors),
      ],
      12,
      period,
    ),
    graph(
      `${title}: latency (ms)`,
      [
        metric('Latency', 'p50', 'latency p50'),
        metric('Latency', 'p99', 'latency p99'),
        metric('IntegrationLatency', 'p99', 'integration latency p99'),
      ],
      12,
      period,
    ),
  ];
}

function modelWidgets(backend: ModelBackend, period: Duration): cloudwatch.IWidget[] {
  const errors = backend.modelIds.map(
    (id, i) =>
      new cloudwatch.MathExpression({
        expression: AUDIT_ERROR_OUTCOMES.map((_, j) => `FILL(e${i}_${j}, 0)`).join(' + '),
        usingMetrics: Object.fromEntries(
          AUDIT_ERROR_OUTCOMES.map((o, j) => [`e${i}_${j}`, backend.metricInvocations(id, o, { period })]),
        ),
        period,
        label: id,
      }),
  );
  return [
    graph(
      'Model invocations (success) by model',
      backend.modelIds.map((id) => backend.metricInvocations(id, 'success', { period, label: id })),
      8,
      period,
      true,
    ),
    graph(`Model errors (${AUDIT_ERROR_OUTCOMES.join(', ')}) by model`, errors, 8, period, true),
    graph(
      'Model backend function',
      [
        backend.function.metricInvocations({ period, statistic: cloudwatch.Stats.SUM, label: 'invocations' }),
        backend.function.metricErrors({ period, statistic: cloudwatch.Stats.SUM, label: 'errors' }),
        backend.function.metricThrottles({ period, statistic: cloudwatch.Stats.SUM, label: 'throttles' }),
      ],
      8,
      period,
    ),
  ];
}
