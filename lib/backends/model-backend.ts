import { Duration, Lazy, Names, Stack, Token, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { METRIC_NAMESPACE } from '../../common/decision-log';
import { AUDIT_FIELDS, AUDIT_MESSAGE } from '../../common/model-audit-log';
import { MODEL_INVOKE_PATH } from '../../common/model-contract';
import { MODEL_STREAM_PATH } from '../../common/model-stream';
import { withoutStepUp } from '../../common/step-up';
import { onRouteServed } from '../internal/served-routes';
import { KeygateValidationError } from '../internal/validation-error';
import {
  validateRoutes,
  type Requirement as RequirementSpec,
  type RouteSpec,
} from '../../common/route-model';
import { USAGE_QUERY_PARTS } from '../../common/usage-record';
import type { Requirement } from '../api/route-auth';
import { MODELS_CONFIG_ENV } from '../../common/function-env';
import { keygateFunction } from '../internal/lambda-code';
import type { Model } from './model';

const CONFIG_ENV = MODELS_CONFIG_ENV;
/** Lambda allows 4 KB for all environment variables together; leave room for the others. */
const CONFIG_ENV_BUDGET = 3500;
const ROUTE_KEY = /^(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS|ANY) \/\S*$/;

/** An IAM role granted iam routes of the API, and so some models. */
export interface MachineCaller {
  /** The role machine callers sign with (SigV4). */
  readonly role: iam.IRole;
  /**
   * The iam route keys the role was granted, e.g. `POST /machine/models/{modelId}/invoke` (every model)
   * or `POST /machine/models/sentiment/invoke` (one model). The backend lists and runs only those models.
   */
  readonly routes: string[];
}

/** Properties of the model backend. */
export interface ModelBackendProps {
  /** The models served (at least one; ids unique). */
  readonly models: Model[];
  /**
   * The requirement of `POST /models/{modelId}/invoke`. GET /models lists the models the caller meets it
   * for, and invoke re-checks it; give the same requirement the authorizer enforces on that route
   * (scoped with `forIssuers` when the authorizer trusts several issuers: the caller's verified issuer
   * comes from the authorizer context).
   * @default - the requirement of the keycloak route `POST /models/{modelId}/invoke` (or
   *   `/models/{modelId}/stream`) that a SecuredHttpApi or SecuredRestApi serves with this backend's
   *   functions; any valid token (`Requirement.authenticated()`) while no API serves one
   */
  readonly invokeRequirement?: Requirement;
  /**
   * IAM roles that call the iam routes, with the routes they were granted. An IAM caller that is not
   * listed sees no models and may invoke none.
   * @default - no IAM callers
   */
  readonly machineCallers?: MachineCaller[];
  /**
   * Retention of the function's log group.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Memory of the function, in MB (128 to 10240).
   * @default 512
   */
  readonly memorySize?: number;
  /**
   * Function timeout (1 to 900 seconds). API Gateway stops waiting after 29 seconds by default.
   * @default Duration.seconds(29)
   */
  readonly timeout?: Duration;
  /**
   * Largest accepted request body, in bytes (1 to 1048576). Larger bodies get 413.
   * @default 65536
   */
  readonly maxBodyBytes?: number;
  /**
   * Longest accepted `input`, in characters (1 to 500000).
   * @default 20000
   */
  readonly maxInputChars?: number;
  /**
   * Write the request input and the model output into each audit line. Off by default: the audit line
   * then holds identity, model, outcome and latency only.
   * @default false
   */
  readonly logModelContent?: boolean;
  /**
   * Also create `streamFunction`, the response-streaming function of `POST /models/{modelId}/stream`
   * (server-sent events; integrate it with `stream: true` on a SecuredRestApi route).
   * @default false
   */
  readonly streaming?: boolean;
  /**
   * Timeout of the streaming function (1 to 900 seconds): the longest a streamed answer may take.
   * @default Duration.minutes(5)
   */
  readonly streamTimeout?: Duration;
  /**
   * Prefix of the saved usage query's name (`<prefix>/usage-by-caller-and-model`); `/` groups saved queries
   * into folders in the console.
   * @default - `keygate/<unique id of this construct>`
   */
  readonly usageQueryName?: string;
}

/**
 * The model backend: one Lambda function serving GET /models, POST /models/{modelId}/invoke, GET /me
 * and the IAM routes GET /machine/models, POST /machine/models/{modelId}/invoke, for REST and HTTP APIs.
 * It reads the caller from the authorizer context (or the SigV4 identity) in the event, never from the
 * `x-keygate-*` headers, which a REST API passes through as the client sent them.
 * Its role may invoke exactly the configured Bedrock foundation models and SageMaker endpoints.
 */
export class ModelBackend extends Construct {
  /** The backend function; integrate it with the API's model routes. */
  public readonly function: lambda.IFunction;
  /**
   * The response-streaming function (handler `index.streamHandler`) serving `POST /models/{modelId}/stream`;
   * undefined unless `streaming` is true. It shares the role, the log group and the configuration.
   */
  public readonly streamFunction?: lambda.IFunction;
  /** The log group of both functions (audit lines and usage lines land here). */
  public readonly logGroup: logs.ILogGroup;
  /** The ids of the models it serves, in the order given. */
  public readonly modelIds: string[];
  /** Namespace of the metrics this backend's metric filter publishes. */
  public readonly metricNamespace: string;
  /**
   * The saved Logs Insights query "who used how much of which model" over the log group (CloudWatch console,
   * Logs Insights, Saved queries), the same table `npm run usage` prints.
   */
  public readonly usageQuery: logs.QueryDefinition;

  constructor(scope: Construct, id: string, props: ModelBackendProps) {
    super(scope, id);
    const models = validateModels(this, props.models);
    const memorySize = props.memorySize ?? 512;
    if (!Number.isInteger(memorySize) || memorySize < 128 || memorySize > 10240) {
      throw new KeygateValidationError(
        this,
        'memorySize',
        `ModelBackend: memorySize must be an integer from 128 to 10240, got ${memorySize}`,
      );
    }
    const timeout = props.timeout ?? Duration.seconds(29);
    if (!timeout.isUnresolved() && (timeout.toSeconds() < 1 || timeout.toSeconds() > 900)) {
      throw new KeygateValidationError(
        this,
        'timeout',
        `ModelBackend: timeout must be from 1 to 900 seconds, got ${timeout.toSeconds()}`,
      );
    }
    const streamTimeout = props.streamTimeout ?? Duration.minutes(5);
    if (!streamTimeout.isUnresolved() && (streamTimeout.toSeconds() < 1 || streamTimeout.toSeconds() > 900)) {
      throw new KeygateValidationError(
        this,
        'streamTimeout',
        `ModelBackend: streamTimeout must be from 1 to 900 seconds, got ${streamTimeout.toSeconds()}`,
      );
    }
    if (props.usageQueryName !== undefined && !/^[A-Za-z0-9_./ -]{1,200}$/.test(props.usageQueryName)) {
      throw new KeygateValidationError(
        this,
        'usageQueryName',
        `ModelBackend: usageQueryName must be 1 to 200 letters, digits, spaces or _ . / -, got '${props.usageQueryName}'`,
      );
    }
    const maxBodyBytes = checkInt(this, 'maxBodyBytes', props.maxBodyBytes ?? 65536, 1, 1024 * 1024);
    const maxInputChars = checkInt(this, 'maxInputChars', props.maxInputChars ?? 20000, 1, 500_000);
    const givenRequirement = withoutStepUp(requirementSpec(props.invokeRequirement));
    const requirementErrors = validateRoutes(
      [
        {
          method: 'POST',
          path: MODEL_INVOKE_PATH,
          auth: 'keycloak',
          requirement: givenRequirement,
        },
      ],
      'invokeRequirement',
    );
    if (requirementErrors.length > 0) {
      throw new KeygateValidationError(
        this,
        'invokeRequirement',
        `ModelBackend: ${requirementErrors[0].replace('invokeRequirement[0].requirement', 'invokeRequirement')}`,
      );
    }
    const machineCallers = (props.machineCallers ?? []).map((c, i) => {
      const bad = c.routes.find((r) => !ROUTE_KEY.test(r));
      if (c.routes.length === 0 || bad !== undefined) {
        throw new KeygateValidationError(
          this,
          `machineCallers[${i}].routes`,
          `ModelBackend: machineCallers[${i}].routes must list route keys such as 'POST /machine/models/{modelId}/invoke'` +
            (bad !== undefined ? `, got '${bad}'` : ''),
        );
      }
      return { principalArn: c.role.roleArn, routes: [...c.routes] };
    });

    // Without the prop, the function re-checks what the authorizer enforces on the route it serves (known
    // once an API adds that route), never a requirement of its own the route does not have.
    let servedRequirement: RequirementSpec | undefined;
    const invokeRequirement = Lazy.any({ produce: () => givenRequirement ?? servedRequirement ?? {} });
    const serve = (route: RouteSpec): void => {
      const invokes = route.path === MODEL_INVOKE_PATH || route.path === MODEL_STREAM_PATH;
      if (route.auth !== 'keycloak' || route.method !== 'POST' || !invokes) return;
      const requirement = withoutStepUp(route.requirement ?? {});
      const known = givenRequirement ?? servedRequirement;
      if (known !== undefined && canonical(known) !== canonical(requirement)) {
        throw new KeygateValidationError(
          this,
          'invokeRequirement',
          `ModelBackend: the route POST ${route.path} requires ${canonical(requirement)}, but the backend re-checks ` +
            `${canonical(known)}; give every invoke route the same requirement` +
            (givenRequirement ? ", or leave invokeRequirement out to take the route's" : ''),
        );
      }
      servedRequirement = requirement;
    };

    const stack = Stack.of(this);
    const config = {
      models: models.map((m) => m._toConfig()),
      invokeRequirement,
      machineCallers,
      limits: { maxBodyBytes, maxInputChars },
      logContent: props.logModelContent ?? false,
    };
    const configJson = stack.toJsonString(config);
    // Unresolved tokens (role ARNs) are shorter than their values: count each as a full ARN.
    const estimated = JSON.stringify(config).length + machineCallers.length * 100;
    if (estimated > CONFIG_ENV_BUDGET) {
      throw new KeygateValidationError(
        this,
        'models',
        `ModelBackend: models and machineCallers make about ${estimated} bytes of configuration; Lambda allows 4 KB of environment in total (budget ${CONFIG_ENV_BUDGET})`,
      );
    }

    const logGroup = new logs.LogGroup(this, 'LogGroup', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
    });
    // Own role instead of AWSLambdaBasicExecutionRole: log writes to this log group only.
    const role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'Keygate model backend',
    });
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        // The log group's Arn attribute ends in `:*`, which already covers its log streams
        // (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-logs-loggroup.html).
        resources: [logGroup.logGroupArn],
      }),
    );

    // The prebuilt bundle of lambda/models (scripts/build-lambdas.ts: esbuild, CommonJS, node22, minified,
    // source map; the Bedrock and SageMaker clients bundled at the tested versions). Synthesis needs
    // neither esbuild nor Docker.
    const environment = {
      [CONFIG_ENV]: configJson,
      POWERTOOLS_SERVICE_NAME: 'keygate-models',
      POWERTOOLS_LOG_LEVEL: 'INFO',
      NODE_OPTIONS: '--enable-source-maps',
    };
    const fn = keygateFunction(this, 'Function', {
      entry: 'models',
      memorySize,
      timeout,
      role,
      logGroup,
      description:
        'Keygate model backend: lists and runs models for people, service accounts and IAM callers',
      environment,
    });
    // The same bundle's streaming export. It writes API Gateway's streamed format (a metadata prelude, then
    // the events), which a buffered integration would not read, so buffered routes keep their own function.
    const streamFn = props.streaming
      ? keygateFunction(this, 'StreamFunction', {
          entry: 'models',
          handler: 'index.streamHandler',
          memorySize,
          timeout: streamTimeout,
          role,
          logGroup,
          description: 'Keygate model backend: streamed model answers (server-sent events)',
          environment,
        })
      : undefined;

    const partition = stack.partition;
    const bedrockArns = unique(
      models.filter((m) => m.kind === 'bedrock').map((m) => m._toConfig().bedrockModelId as string),
    ).map((modelId) =>
      // Foundation-model ARNs have no account: arn:aws:bedrock:<region>::foundation-model/<id>
      // (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonbedrock.html).
      stack.formatArn({
        service: 'bedrock',
        account: '',
        resource: 'foundation-model',
        resourceName: modelId,
        partition,
      }),
    );
    if (bedrockArns.length > 0) {
      // Converse needs bedrock:InvokeModel only
      // (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Converse.html).
      // ConverseStream needs bedrock:InvokeModelWithResponseStream
      // (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_ConverseStream.html).
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: streamFn
            ? ['bedrock:InvokeModel', 'bedrock:InvokeModelWithResponseStream']
            : ['bedrock:InvokeModel'],
          resources: bedrockArns,
        }),
      );
    }
    const endpointArns = unique(
      models.filter((m) => m.kind === 'sagemaker').map((m) => m._toConfig().sagemakerEndpointName as string),
    ).map((name) =>
      // SageMaker writes endpoint names in lower case in ARNs, and IAM compares resources case-sensitively.
      stack.formatArn({
        service: 'sagemaker',
        resource: 'endpoint',
        resourceName: Token.isUnresolved(name) ? name : name.toLowerCase(),
      }),
    );
    if (endpointArns.length > 0) {
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({ actions: ['sagemaker:InvokeEndpoint'], resources: endpointArns }),
      );
    }

    // cdk-nag (AwsSolutions) findings this construct accepts, each with its reason.
    for (const f of streamFn ? [fn, streamFn] : [fn]) {
      Validations.of(f).acknowledge({
        id: 'AwsSolutions-L1',
        reason:
          'Keygate functions target nodejs22.x on arm64 deliberately: the runtime their bundles and tests are built for.',
      });
    }

    this.usageQuery = new logs.QueryDefinition(this, 'UsageQuery', {
      queryDefinitionName: `${props.usageQueryName ?? `keygate/${Names.uniqueResourceName(this, { maxLength: 64 })}`}/usage-by-caller-and-model`,
      queryString: new logs.QueryString({
        filterStatements: [USAGE_QUERY_PARTS.filter],
        statsStatements: [USAGE_QUERY_PARTS.stats],
        sort: USAGE_QUERY_PARTS.sort,
      }),
      logGroups: [logGroup],
    });

    this.function = fn;
    this.streamFunction = streamFn;
    onRouteServed(fn, serve);
    if (streamFn) onRouteServed(streamFn, serve);
    this.logGroup = logGroup;
    this.modelIds = models.map((m) => m.id);

    // One count per model and outcome from the audit line, for dashboards: model ids and outcomes are
    // closed lists, so the dimensions stay small. CloudWatch allows no default value with dimensions.
    this.metricNamespace = `${METRIC_NAMESPACE}/${Names.uniqueResourceName(this, { maxLength: 200 })}`;
    new logs.MetricFilter(this, 'InvocationsFilter', {
      logGroup,
      metricNamespace: this.metricNamespace,
      metricName: 'Invocations',
      filterPattern: logs.FilterPattern.stringValue('$.message', '=', AUDIT_MESSAGE),
      metricValue: '1',
      dimensions: { ModelId: `$.${AUDIT_FIELDS.modelId}`, Outcome: `$.${AUDIT_FIELDS.outcome}` },
      unit: cloudwatch.Unit.COUNT,
    });
  }

  /**
   * Count of invocation attempts of one model with one outcome (`success`, `forbidden`, `model_error`,
   * ... see common/model-audit-log.ts), per 5 minutes, from the audit log.
   */
  public metricInvocations(
    modelId: string,
    outcome: string,
    props?: cloudwatch.MetricOptions,
  ): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: this.metricNamespace,
      metricName: 'Invocations',
      statistic: cloudwatch.Stats.SUM,
      period: Duration.minutes(5),
      ...props,
      dimensionsMap: { ModelId: modelId, Outcome: outcome },
    });
  }
}

function validateModels(scope: Construct, models: Model[]): Model[] {
  if (!Array.isArray(models) || models.length === 0)
    throw new KeygateValidationError(scope, 'models', 'ModelBackend: models must list at least one model');
  const seen = new Set<string>();
  models.forEach((m, i) => {
    if (seen.has(m.id)) {
      throw new KeygateValidationError(
        scope,
        `models[${i}].id`,
        `ModelBackend: models[${i}].id '${m.id}' is used by another model`,
      );
    }
    seen.add(m.id);
  });
  return [...models];
}

function checkInt(scope: Construct, prop: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new KeygateValidationError(
      scope,
      prop,
      `ModelBackend: ${prop} must be an integer from ${min} to ${max}, got ${value}`,
    );
  }
  return value;
}

/**
 * The shared route model's form of the prop. `Requirement.authenticated()` has no spec and is written as `{}`
 * ("any valid token"), never left out, which the function would read as "use the default". A plain
 * `{ allOf, anyOf }` object (plain JavaScript callers) is taken as it is rather than read as "no requirement".
 */
function requirementSpec(given: Requirement | undefined): RequirementSpec | undefined {
  if (given === undefined) return undefined;
  if (typeof given === 'object' && given !== null && '_spec' in given) return given._spec ?? {};
  return given as unknown as RequirementSpec;
}

/** A requirement as sorted JSON, so equal requirements compare equal whatever their key order. */
function canonical(requirement: RequirementSpec): string {
  const sort = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(sort)
      : typeof v === 'object' && v !== null
        ? Object.fromEntries(
            Object.entries(v)
              .sort(([a], [b]) => a.localeCompare(b))
              .map(([k, x]) => [k, sort(x)]),
          )
        : v;
  return JSON.stringify(sort(requirement));
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}
