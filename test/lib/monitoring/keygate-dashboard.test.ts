import { Duration } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { HttpMethod } from 'aws-cdk-lib/aws-apigatewayv2';
import { beforeAll, describe, expect, test } from 'vitest';
import { AUDIT_FIELDS, AUDIT_MESSAGE } from '../../../common/model-audit-log';
import type { ReasonCode } from '../../../common/reason-codes';
import { REASON_CODES, isUnauthenticated } from '../../../common/reason-codes';
import { RouteAuth } from '../../../lib/api/route-auth';
import { SecuredHttpApi } from '../../../lib/api/secured-http-api';
import { SecuredRestApi } from '../../../lib/api/secured-rest-api';
import { KeygateAuthorizer } from '../../../lib/authorizer/keygate-authorizer';
import { TrustedIssuer } from '../../../lib/authorizer/trusted-issuer';
import { Model } from '../../../lib/backends/model';
import { ModelBackend } from '../../../lib/backends/model-backend';
import { KeygateDashboard } from '../../../lib/monitoring/keygate-dashboard';
import { auditAttributes } from '../../../lambda/models/audit';
import type { DashboardWidget } from '../../../scripts/dashboard-body';
import {
  dashboardWidgets,
  metricIdentity,
  metricOptions,
  placeholder,
} from '../../../scripts/dashboard-body';
import { newStack } from '../helpers';
import { expectValidationError } from '../validation';

const REASONS = Object.keys(REASON_CODES) as ReasonCode[];

function build(props: { period?: Duration; dashboardName?: string } = {}) {
  const { stack } = newStack();
  const authorizer = new KeygateAuthorizer(stack, 'Authorizer', {
    issuers: [
      TrustedIssuer.keycloakRealm({
        issuerUrl: 'https://sso.example.com/realms/ml',
        allowedAudiences: ['api'],
      }),
    ],
  });
  const backend = new ModelBackend(stack, 'Models', {
    models: [
      Model.demo('sentiment', 'sentiment'),
      Model.bedrock('haiku', 'anthropic.claude-3-haiku-20240307-v1:0'),
    ],
  });
  const route = {
    method: HttpMethod.GET,
    path: '/models',
    backend: backend.function,
    auth: RouteAuth.keycloak(),
  };
  const http = new SecuredHttpApi(stack, 'Http', { authorizer, routes: [route], apiName: 'orders-http' });
  const rest = new SecuredRestApi(stack, 'Rest', {
    authorizer,
    routes: [route],
    apiName: 'orders-rest',
    stageName: 'live',
    configureAccountLogRole: false,
  });
  new KeygateDashboard(stack, 'Dashboard', {
    authorizer,
    httpApis: [http],
    restApis: [rest],
    modelBackend: backend,
    ...props,
  });
  return { stack, authorizer, backend, http };
}

describe('KeygateDashboard', () => {
  let template: Template;
  let widgets: DashboardWidget[];
  let authorizerNamespace: string;
  let modelNamespace: string;
  /** The placeholders the body holds for the authorizer's function and log group and the HTTP API id. */
  let refs: { fn: string; logGroup: string; httpApi: string };
  const byTitle = (title: string): DashboardWidget => {
    const found = widgets.filter((w) => w.properties.title === title);
    expect(found).toHaveLength(1);
    return found[0];
  };
  const identities = (title: string) => (byTitle(title).properties.metrics ?? []).map(metricIdentity);

  beforeAll(() => {
    // GIVEN an authorizer, a model backend with two models, an HTTP and a REST API, and the dashboard
    const { stack, authorizer, backend, http } = build({ dashboardName: 'orders' });
    refs = {
      fn: placeholder(stack.resolve(authorizer.handler.functionName)),
      logGroup: placeholder(stack.resolve(authorizer.logGroup.logGroupName)),
      httpApi: placeholder(stack.resolve(http.httpApi.apiId)),
    };
    authorizerNamespace = authorizer.metricNamespace;
    modelNamespace = backend.metricNamespace;
    // WHEN
    template = Template.fromStack(stack);
    const dashboards = template.findResources('AWS::CloudWatch::Dashboard');
    expect(Object.keys(dashboards)).toHaveLength(1);
    const dashboard = Object.values(dashboards)[0];
    expect(dashboard.Properties.DashboardName).toBe('orders');
    widgets = dashboardWidgets(dashboard.Properties.DashboardBody);
  });

  test('has one row per concern, in order, on a 24-column grid', () => {
    expect(widgets.map((w) => [w.type, w.properties.title ?? '(text)', w.x, w.y, w.width, w.height])).toEqual(
      [
        ['text', '(text)', 0, 0, 24, 2],
        ['metric', 'Authorizer decisions by outcome', 0, 2, 8, 6],
        ['metric', 'Denied (403) by reason', 8, 2, 8, 6],
        ['metric', 'Unauthorized (401) by reason', 16, 2, 8, 6],
        ['metric', 'Authorizer duration (ms)', 0, 8, 6, 6],
        ['log', 'Authorizer cold starts', 6, 8, 6, 6],
        ['metric', 'Authorizer errors', 12, 8, 6, 6],
        ['metric', 'JWKS fetch failures', 18, 8, 6, 6],
        ['metric', 'Http (HTTP API): requests and errors', 0, 14, 12, 6],
        ['metric', 'Http (HTTP API): latency (ms)', 12, 14, 12, 6],
        ['metric', 'Rest (REST API): requests and errors', 0, 20, 12, 6],
        ['metric', 'Rest (REST API): latency (ms)', 12, 20, 12, 6],
        ['metric', 'Model invocations (success) by model', 0, 26, 8, 6],
        ['metric', 'Model errors (model_error, internal_error) by model', 8, 26, 8, 6],
        ['metric', 'Model backend function', 16, 26, 8, 6],
      ],
    );
  });

  test('shows decisions by outcome from the decision-log metric filters', () => {
    expect(identities('Authorizer decisions by outcome')).toEqual([
      [authorizerNamespace, 'Decisions', 'Decision', 'allow', 'Reason', 'allowed'],
      [authorizerNamespace, 'Denials'],
      [authorizerNamespace, 'Unauthorized'],
    ]);
    for (const line of byTitle('Authorizer decisions by outcome').properties.metrics!) {
      expect(metricOptions(line)).toMatchObject({ stat: 'Sum' });
    }
    expect(byTitle('Authorizer decisions by outcome').properties.period).toBe(300);
  });

  test('shows every reason code under its outcome', () => {
    const denyReasons = REASONS.filter((r) => r !== 'allowed' && !isUnauthenticated(r));
    const unauthorizedReasons = REASONS.filter((r) => r !== 'allowed' && isUnauthenticated(r));
    expect(denyReasons).toEqual([
      'csrf_rejected',
      'route_forbidden',
      'route_unknown',
      'step_up_required',
      'acr_unknown',
      'grant_limit_exceeded',
    ]);
    expect(unauthorizedReasons).toContain('token_expired');
    expect(unauthorizedReasons).toContain('jwks_unavailable');
    expect(identities('Denied (403) by reason')).toEqual(
      denyReasons.map((r) => [authorizerNamespace, 'Decisions', 'Decision', 'deny', 'Reason', r]),
    );
    expect(identities('Unauthorized (401) by reason')).toEqual(
      unauthorizedReasons.map((r) => [
        authorizerNamespace,
        'Decisions',
        'Decision',
        'unauthorized',
        'Reason',
        r,
      ]),
    );
    expect(unauthorizedReasons.length + denyReasons.length + 1).toBe(REASONS.length);
  });

  test("shows the authorizer's duration, errors and JWKS failures from AWS/Lambda and the log filters", () => {
    const fn = ['AWS/Lambda', 'Duration', 'FunctionName', refs.fn];
    expect(identities('Authorizer duration (ms)')).toEqual([fn, fn, fn]);
    expect(byTitle('Authorizer duration (ms)').properties.metrics!.map((l) => metricOptions(l).stat)).toEqual(
      ['p50', 'p99', 'Maximum'],
    );
    expect(identities('Authorizer errors')).toEqual([
      ['AWS/Lambda', 'Errors', 'FunctionName', refs.fn],
      ['AWS/Lambda', 'Throttles', 'FunctionName', refs.fn],
      [authorizerNamespace, 'LoggedErrors'],
    ]);
    expect(identities('JWKS fetch failures')).toEqual([[authorizerNamespace, 'JwksFetchFailures']]);
  });

  test("counts cold starts from the Lambda REPORT lines' Init Duration in the authorizer's log group", () => {
    const query = byTitle('Authorizer cold starts').properties.query;
    expect(query).toBe(
      `SOURCE '${refs.logGroup}' | filter @type = "REPORT" and ispresent(@initDuration)\n` +
        '| stats count(*) as coldStarts, avg(@initDuration) as avgInitMs, max(@initDuration) as maxInitMs by bin(5m)',
    );
  });

  test('shows each HTTP API by ApiId and Stage, with its 4xx and 5xx metric names', () => {
    const dims = ['ApiId', refs.httpApi, 'Stage', '$default'];
    expect(identities('Http (HTTP API): requests and errors')).toEqual([
      ['AWS/ApiGateway', 'Count', ...dims],
      ['AWS/ApiGateway', '4xx', ...dims],
      ['AWS/ApiGateway', '5xx', ...dims],
    ]);
    expect(identities('Http (HTTP API): latency (ms)')).toEqual([
      ['AWS/ApiGateway', 'Latency', ...dims],
      ['AWS/ApiGateway', 'Latency', ...dims],
      ['AWS/ApiGateway', 'IntegrationLatency', ...dims],
    ]);
  });

  test('shows each REST API by ApiName and Stage, with its 4XXError and 5XXError metric names', () => {
    const dims = ['ApiName', 'orders-rest', 'Stage', 'live'];
    expect(identities('Rest (REST API): requests and errors')).toEqual([
      ['AWS/ApiGateway', 'Count', ...dims],
      ['AWS/ApiGateway', '4XXError', ...dims],
      ['AWS/ApiGateway', '5XXError', ...dims],
    ]);
    expect(identities('Rest (REST API): latency (ms)').map((m) => m[1])).toEqual([
      'Latency',
      'Latency',
      'IntegrationLatency',
    ]);
  });

  test('shows invocations and errors per model from the audit-log metric filter', () => {
    expect(identities('Model invocations (success) by model')).toEqual([
      [modelNamespace, 'Invocations', 'ModelId', 'sentiment', 'Outcome', 'success'],
      [modelNamespace, 'Invocations', 'ModelId', 'haiku', 'Outcome', 'success'],
    ]);
    const errors = byTitle('Model errors (model_error, internal_error) by model').properties.metrics!;
    expect(errors.filter((l) => 'expression' in metricOptions(l)).map((l) => metricOptions(l))).toMatchObject(
      [
        { expression: 'FILL(e0_0, 0) + FILL(e0_1, 0)', label: 'sentiment' },
        { expression: 'FILL(e1_0, 0) + FILL(e1_1, 0)', label: 'haiku' },
      ],
    );
    expect(errors.filter((l) => !('expression' in metricOptions(l))).map(metricIdentity)).toEqual([
      [modelNamespace, 'Invocations', 'ModelId', 'sentiment', 'Outcome', 'model_error'],
      [modelNamespace, 'Invocations', 'ModelId', 'sentiment', 'Outcome', 'internal_error'],
      [modelNamespace, 'Invocations', 'ModelId', 'haiku', 'Outcome', 'model_error'],
      [modelNamespace, 'Invocations', 'ModelId', 'haiku', 'Outcome', 'internal_error'],
    ]);
  });

  test("the model backend's metric filter reads the audit line's fields", () => {
    // GIVEN a real audit line's attributes
    const line = auditAttributes({
      requestId: 'r1',
      route: 'POST /models/{modelId}/invoke',
      modelId: 'sentiment',
      modelKind: 'demo',
      outcome: 'success',
      statusCode: 200,
      latencyMs: 3,
    });
    // THEN the filter's dimensions are fields of it, and its pattern is the audit message
    expect(line[AUDIT_FIELDS.modelId]).toBe('sentiment');
    expect(line[AUDIT_FIELDS.outcome]).toBe('success');
    template.hasResourceProperties('AWS::Logs::MetricFilter', {
      FilterPattern: `{ $.message = "${AUDIT_MESSAGE}" }`,
      MetricTransformations: [
        {
          MetricNamespace: modelNamespace,
          MetricName: 'Invocations',
          MetricValue: '1',
          Dimensions: [
            { Key: 'ModelId', Value: '$.modelId' },
            { Key: 'Outcome', Value: '$.outcome' },
          ],
          Unit: 'Count',
        },
      ],
    });
  });

  test.each([
    [
      { period: Duration.seconds(90) },
      'period',
      'KeygateDashboard: period must be a whole number of minutes from 1 to 1440, got 90 seconds',
    ],
    [
      { dashboardName: 'my dashboard' },
      'dashboardName',
      "KeygateDashboard: dashboardName must be 1-255 letters, digits, '-' or '_', got 'my dashboard'",
    ],
  ])('refuses %o', (props, field, message) => {
    expectValidationError(() => build(props), field, message);
  });
});
