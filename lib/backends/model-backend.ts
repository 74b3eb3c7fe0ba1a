import { Duration, Lazy, Names, Stack, Token } from 'aws-cdk-lib';
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
  parsePathTemplate,
  validateRequirement,
  type Requirement as RequirementSpec,
  type RouteSpec,
} from '../../common/route-model';
import { USAGE_QUERY_PARTS } from '../../common/usage-record';
import type { Requirement } from '../api/route-auth';
import { MODELS_CONFIG_ENV } from '../../common/function-env';
import { MODELS_SERVICE_NAME } from '../../common/service-names';
import { PRINCIPAL_ARN_PATTERN, ROUTE_KEY_PATTERN as ROUTE_KEY } from '../../common/config-patterns';
import { acknowledgeKeygateRuntime, functionScaffolding } from '../internal/function-scaffolding';
import { keygateFunction } from '../internal/lambda-code';
import type { Model } from './model';

const CONFIG_ENV = MODELS_CONFIG_ENV;
/** Lambda allows 4 KB for all environment variables together; leave room for the others. */
const CONFIG_ENV_BUDGET = 3500;

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
    const { memorySize, timeout, streamTimeout, maxBodyBytes, maxInputChars } = checkLimits(this, props);
    const machineCallers = machineCallerConfigs(this, props);
    const { invokeRequirement, serve } = invokeRequirementOf(this, props.invokeRequirement);

    const configJson = backendConfigJson(this, {
      models: models.map((m) => m._toConfig()),
      invokeRequirement,
      machineCallers,
      limits: { maxBodyBytes, maxInputChars },
      logContent: props.logModelContent ?? false,
    });

    const { logGroup, role } = functionScaffolding(this, {
      roleDescription: 'Keygate model backend',
      logRetention: props.logRetention,
    });

    const { fn, streamFn } = backendFunctions(this, {
      configJson,
      memorySize,
      timeout,
      streamTimeout,
      streaming: props.streaming === true,
      role,
      logGroup,
    });

    grantModelAccess(role, models, streamFn !== undefined);

    acknowledgeKeygateRuntime(...(streamFn ? [fn, streamFn] : [fn]));

    this.usageQuery = usageQuery(this, props.usageQueryName, logGroup);

    this.function = fn;
    this.streamFunction = streamFn;
    onRouteServed(fn, serve);
    if (streamFn) onRouteServed(streamFn, serve);
    this.logGroup = logGroup;
    this.modelIds = models.map((m) => m.id);

    // One count per model and outcome from the audit line, for dashboards: model ids and outcomes are
    // closed lists, so the dimensions stay small. CloudWatch allows no default value with dimensions.
    this.metricNamespace = `${METRIC_NAMESPACE}/${Names.uniqueResourceName(this, { maxLength: 200 })}`;
    addInvocationsFilter(this, logGroup, this.metricNamespace);
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

/**
 * The function's configuration (MODELS_CONFIG_ENV) as JSON, within Lambda's 4 KB environment. The function
 * checks it against common/model-backend-config.ts at cold start; the construct checks each prop instead
 * of running that schema: the library ships without valibot.
 */
function backendConfigJson(
  scope: Construct,
  config: { readonly machineCallers: readonly unknown[]; readonly [field: string]: unknown },
): string {
  const configJson = Stack.of(scope).toJsonString(config);
  // Unresolved tokens (role ARNs) are shorter than their values: count each as a full ARN.
  const estimated = JSON.stringify(config).length + config.machineCallers.length * 100;
  if (estimated > CONFIG_ENV_BUDGET) {
    throw new KeygateValidationError(
      scope,
      'models',
      `ModelBackend: models and machineCallers make about ${estimated} bytes of configuration; Lambda allows 4 KB of environment in total (budget ${CONFIG_ENV_BUDGET})`,
    );
  }
  return configJson;
}

/** What the backend's functions are made with. */
interface BackendFunctionSettings {
  readonly configJson: string;
  readonly memorySize: number;
  readonly timeout: Duration;
  readonly streamTimeout: Duration;
  readonly streaming: boolean;
  readonly role: iam.IRole;
  readonly logGroup: logs.ILogGroup;
}

/** The backend function and, with `streaming`, its streaming twin: one bundle, role and log group. */
function backendFunctions(
  scope: Construct,
  settings: BackendFunctionSettings,
): { readonly fn: lambda.IFunction; readonly streamFn?: lambda.IFunction } {
  // The prebuilt bundle of lambda/models (scripts/build-lambdas.ts: esbuild, CommonJS, node22, minified,
  // source map; the Bedrock and SageMaker clients bundled at the tested versions). Synthesis needs
  // neither esbuild nor Docker.
  const environment = {
    [CONFIG_ENV]: settings.configJson,
    POWERTOOLS_SERVICE_NAME: MODELS_SERVICE_NAME,
    POWERTOOLS_LOG_LEVEL: 'INFO',
    NODE_OPTIONS: '--enable-source-maps',
  };
  const fn = keygateFunction(scope, 'Function', {
    entry: 'models',
    memorySize: settings.memorySize,
    timeout: settings.timeout,
    role: settings.role,
    logGroup: settings.logGroup,
    description: 'Keygate model backend: lists and runs models for people, service accounts and IAM callers',
    environment,
  });
  // The same bundle's streaming export. It writes API Gateway's streamed format (a metadata prelude, then
  // the events), which a buffered integration would not read, so buffered routes keep their own function.
  const streamFn = settings.streaming
    ? keygateFunction(scope, 'StreamFunction', {
        entry: 'models',
        handler: 'index.streamHandler',
        memorySize: settings.memorySize,
        timeout: settings.streamTimeout,
        role: settings.role,
        logGroup: settings.logGroup,
        description: 'Keygate model backend: streamed model answers (server-sent events)',
        environment,
      })
    : undefined;

  return { fn, streamFn };
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
 * The saved Logs Insights query of usage by caller and model (`name` prefixes its name), the same table
 * `npm run usage` prints.
 */
function usageQuery(
  scope: Construct,
  name: string | undefined,
  logGroup: logs.ILogGroup,
): logs.QueryDefinition {
  return new logs.QueryDefinition(scope, 'UsageQuery', {
    queryDefinitionName: `${name ?? `keygate/${Names.uniqueResourceName(scope, { maxLength: 64 })}`}/usage-by-caller-and-model`,
    queryString: new logs.QueryString({
      filterStatements: [USAGE_QUERY_PARTS.filter],
      statsStatements: [USAGE_QUERY_PARTS.stats],
      sort: USAGE_QUERY_PARTS.sort,
    }),
    logGroups: [logGroup],
  });
}

/** The audit line's count per model and outcome, published into `namespace`. */
function addInvocationsFilter(scope: Construct, logGroup: logs.ILogGroup, namespace: string): void {
  new logs.MetricFilter(scope, 'InvocationsFilter', {
    logGroup,
    metricNamespace: namespace,
    metricName: 'Invocations',
    filterPattern: logs.FilterPattern.stringValue('$.message', '=', AUDIT_MESSAGE),
    metricValue: '1',
    dimensions: { ModelId: `$.${AUDIT_FIELDS.modelId}`, Outcome: `$.${AUDIT_FIELDS.outcome}` },
    unit: cloudwatch.Unit.COUNT,
  });
}

/** The function's limits: memory, timeouts, request body and model input sizes. */
function checkLimits(scope: Construct, props: ModelBackendProps) {
  const memorySize = props.memorySize ?? 512;
  if (!Number.isInteger(memorySize) || memorySize < 128 || memorySize > 10240) {
    throw new KeygateValidationError(
      scope,
      'memorySize',
      `ModelBackend: memorySize must be an integer from 128 to 10240, got ${memorySize}`,
    );
  }
  const timeout = props.timeout ?? Duration.seconds(29);
  if (!timeout.isUnresolved() && (timeout.toSeconds() < 1 || timeout.toSeconds() > 900)) {
    throw new KeygateValidationError(
      scope,
      'timeout',
      `ModelBackend: timeout must be from 1 to 900 seconds, got ${timeout.toSeconds()}`,
    );
  }
  const streamTimeout = props.streamTimeout ?? Duration.minutes(5);
  if (!streamTimeout.isUnresolved() && (streamTimeout.toSeconds() < 1 || streamTimeout.toSeconds() > 900)) {
    throw new KeygateValidationError(
      scope,
      'streamTimeout',
      `ModelBackend: streamTimeout must be from 1 to 900 seconds, got ${streamTimeout.toSeconds()}`,
    );
  }
  if (props.usageQueryName !== undefined && !/^[A-Za-z0-9_./ -]{1,200}$/.test(props.usageQueryName)) {
    throw new KeygateValidationError(
      scope,
      'usageQueryName',
      `ModelBackend: usageQueryName must be 1 to 200 letters, digits, spaces or _ . / -, got '${props.usageQueryName}'`,
    );
  }
  const maxBodyBytes = checkInt(scope, 'maxBodyBytes', props.maxBodyBytes ?? 65536, 1, 1024 * 1024);
  const maxInputChars = checkInt(scope, 'maxInputChars', props.maxInputChars ?? 20000, 1, 500_000);
  return { memorySize, timeout, streamTimeout, maxBodyBytes, maxInputChars };
}

/** `machineCallers` as the function's configuration lists them. */
function machineCallerConfigs(scope: Construct, props: ModelBackendProps) {
  return (props.machineCallers ?? []).map((c, i) => {
    const bad = c.routes.find((r) => !ROUTE_KEY.test(r));
    if (c.routes.length === 0 || bad !== undefined) {
      throw new KeygateValidationError(
        scope,
        `machineCallers[${i}].routes`,
        `ModelBackend: machineCallers[${i}].routes must list route keys such as 'POST /machine/models/{modelId}/invoke'` +
          (bad !== undefined ? `, got '${bad}'` : ''),
      );
    }
    const principalArn = c.role.roleArn;
    if (!Token.isUnresolved(principalArn) && !PRINCIPAL_ARN_PATTERN.test(principalArn)) {
      throw new KeygateValidationError(
        scope,
        `machineCallers[${i}].principalArn`,
        `ModelBackend: machineCallers[${i}].principalArn must be an IAM role or user ARN`,
      );
    }
    return { principalArn, routes: [...c.routes] };
  });
}

/**
 * The requirement the function re-checks on invoke: `invokeRequirement` when given (checked under its own
 * name), else the requirement of the route the function serves, known once an API adds that route. `serve`
 * is told each route served and refuses invoke routes whose requirements differ.
 */
function invokeRequirementOf(scope: Construct, given: Requirement | undefined) {
  const givenRequirement = withoutStepUp(requirementSpec(given));
  const requirementErrors =
    givenRequirement === undefined
      ? []
      : validateRequirement(givenRequirement, 'invokeRequirement', parsePathTemplate(MODEL_INVOKE_PATH));
  if (requirementErrors.length > 0) {
    throw new KeygateValidationError(scope, 'invokeRequirement', `ModelBackend: ${requirementErrors[0]}`);
  }
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
        scope,
        'invokeRequirement',
        `ModelBackend: the route POST ${route.path} requires ${canonical(requirement)}, but the backend re-checks ` +
          `${canonical(known)}; give every invoke route the same requirement` +
          (givenRequirement ? ", or leave invokeRequirement out to take the route's" : ''),
      );
    }
    servedRequirement = requirement;
  };

  return { invokeRequirement, serve };
}

/** Lets the role call the models: Bedrock foundation models and SageMaker endpoints, by ARN. */
function grantModelAccess(role: iam.IRole, models: readonly Model[], streaming: boolean): void {
  const stack = Stack.of(role);
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
        actions: streaming
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
