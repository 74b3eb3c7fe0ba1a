import { RemovalPolicy, Stack, Tags, Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { CALLER_KEY_PLAN_TAG, CALLER_KEY_TABLE_PARTITION_KEY } from '../../common/usage-caller-keys';
import type { UsageKeysConfig, UsageTiersConfig } from '../../common/usage-tiers';
import {
  USAGE_KEY_LENGTH,
  perCallerTiers,
  tokenAssignments,
  usageTierIssues,
} from '../../common/usage-tiers';
import { KeygateValidationError, issuesError } from '../internal/validation-error';

/** A usage tier's quota: requests per period, counted by API Gateway per API key. */
export interface UsageTierQuota {
  /** Requests per period (an integer from 1). */
  readonly limit: number;
  /** DAY, WEEK or MONTH. */
  readonly period: apigw.Period;
}

/** A token bucket: steady requests per second and the bucket size. */
export interface UsageTierThrottle {
  /** Requests per second (above 0, at most the account's 10,000). */
  readonly rateLimit: number;
  /** Bucket size (an integer from 0 to the account's 5,000). */
  readonly burstLimit: number;
}

/** One usage tier: a usage plan with its own API key. */
export interface UsageTierOptions extends UsageTierThrottle {
  /**
   * Requests per day, week or month.
   * @default - no quota: the throttle alone
   */
  readonly quota?: UsageTierQuota;
  /**
   * Throttles for single Keycloak routes of the API, by route key (`POST /models/{modelId}/stream`): the
   * usage plan's per-method throttle. A model gets one of its own only through a route of its own.
   * @default - the tier's throttle on every route
   */
  readonly routeThrottles?: { [routeKey: string]: UsageTierThrottle };
  /**
   * Give every caller of the tier an API key of its own, so the throttle and quota apply per caller: the
   * authorizer derives the key from the caller's identity and registers it in the tier's usage plan on the
   * caller's first request. Each caller then uses one of the account's 10,000 API keys per Region.
   * @default false - one key for the tier: its callers share the throttle and quota
   */
  readonly perCaller?: boolean;
}

/** Which tier a caller gets: `tier` and exactly one matcher. The first matching assignment wins. */
export interface UsageTierAssignment {
  /** The tier's name. */
  readonly tier: string;
  /**
   * A realm role of the token.
   * @default - not matched on realm roles
   */
  readonly realmRole?: string;
  /**
   * A client role of the token, written `<clientId>:<role>`.
   * @default - not matched on client roles
   */
  readonly clientRole?: string;
  /**
   * A group path of the token (`/ml/batch`).
   * @default - not matched on groups
   */
  readonly group?: string;
  /**
   * An IAM role ARN (SigV4 callers). With such an assignment the IAM routes are served by a companion
   * REST API whose callers send their tier's API key as `X-API-Key` (SecuredRestApi.iamApi); each
   * role listed once.
   * @default - not matched on IAM roles
   */
  readonly roleArn?: string;
}

/** Per-caller throttles and quotas of a REST API (usage plans keyed by the authorizer). */
export interface UsageTiersOptions {
  /** Tier name (lower-case letters, digits and -) → its limits. */
  readonly tiers: { [name: string]: UsageTierOptions };
  /** The tier of every caller no assignment matches. */
  readonly defaultTier: string;
  /**
   * Assignments in priority order.
   * @default - everyone gets defaultTier
   */
  readonly assignments?: UsageTierAssignment[];
}

/**
 * HTTP APIs have no usage plans or API keys: a `usageTiers` prop (reachable from JavaScript or from the
 * jsii languages, which do not check excess properties) is refused rather than silently ignored.
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-vs-rest.html
 */
export function refuseUsageTiers(scope: Construct, props: object, owner: string): void {
  if ((props as { usageTiers?: unknown }).usageTiers !== undefined)
    throw new KeygateValidationError(
      scope,
      'usageTiers',
      `${owner}: usageTiers: HTTP APIs have no usage plans or API keys, so per-caller quotas cannot be enforced; ` +
        'use throttle (the stage throttle) here, or a SecuredRestApi for tiers',
    );
}

/** The shared contract's shape of the construct props (apigw.Period's values are the quota periods). */
export function usageTiersConfig(options: UsageTiersOptions): UsageTiersConfig {
  return options as UsageTiersConfig;
}

/**
 * One usage plan and one API key per tier on a REST API stage, each key's value generated in Secrets
 * Manager and handed to API Gateway as a `{{resolve:secretsmanager:...}}` dynamic reference, which
 * CloudFormation resolves at deploy time without writing the value into the template
 * (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/dynamic-references-secretsmanager.html).
 * The authorizer reads the same secrets at run time (lambda/authorizer/usage-keys.ts).
 */
export class UsageTierPlans extends Construct {
  /** Usage plan of each tier. */
  public readonly plans = new Map<string, apigw.UsagePlan>();
  /** Secret holding each tier's API key value (per-caller tiers: the key the callers' keys are derived with). */
  public readonly keySecrets = new Map<string, secretsmanager.Secret>();
  /** With per-caller tiers: the record of each caller key registered. */
  public readonly callerKeyTable?: dynamodb.Table;

  private readonly config: UsageTiersConfig;
  /** Per tier, the plan's per-method throttles, filled as methods are added (rendered at synth). */
  private readonly methodThrottles = new Map<string, apigw.ThrottlingPerMethod[]>();
  private readonly throttled = new Set<string>();

  constructor(scope: Construct, id: string, api: apigw.RestApi, options: UsageTiersOptions, owner: string) {
    super(scope, id);
    this.config = usageTiersConfig(options);
    const issues = usageTierIssues(this.config, 'usageTiers');
    if (issues.length > 0) throw issuesError(this, issues, { prefix: `${owner}: ` });

    for (const [name, tier] of Object.entries(this.config.tiers)) {
      const secret = usageKeyValueSecret(this, `${name}-KeyValue`, {
        description: `Keygate usage tier ${name}: the value of its API Gateway API key`,
        whyNoRotation:
          'An API key value identifies a usage tier, not a caller, and is never sent by clients; rotating it needs a redeployment of the API key, not a rotation Lambda.',
      });
      const throttles: apigw.ThrottlingPerMethod[] = [];
      const plan = new apigw.UsagePlan(this, `${name}-Plan`, {
        name: `${api.restApiName}-${name}`,
        description: `Keygate usage tier ${name}`,
        throttle: { rateLimit: tier.rateLimit, burstLimit: tier.burstLimit },
        ...(tier.quota
          ? { quota: { limit: tier.quota.limit, period: tier.quota.period as apigw.Period } }
          : {}),
        // The per-method throttles are read when the template is rendered, after every route is added.
        apiStages: [{ api, stage: api.deploymentStage, throttle: throttles }],
      });
      // A per-caller tier's keys are added by the authorizer at run time (grantCallerKeyRegistration),
      // which finds the plan by this tag.
      if (tier.perCaller === true) Tags.of(plan).add(CALLER_KEY_PLAN_TAG, name);
      else
        plan.addApiKey(
          new apigw.ApiKey(this, `${name}-Key`, {
            description: `Keygate usage tier ${name} (returned by the authorizer as usageIdentifierKey)`,
            // `{{resolve:secretsmanager:<arn>:SecretString:::}}`: resolved by CloudFormation at deploy time.
            value: secret.secretValue.unsafeUnwrap(),
          }),
        );
      this.methodThrottles.set(name, throttles);
      this.plans.set(name, plan);
      this.keySecrets.set(name, secret);
    }
    if (perCallerTiers(this.config).length > 0) this.callerKeyTable = this.createCallerKeyTable();
    this.node.addValidation({ validate: () => this.unusedRouteThrottles(owner) });
  }

  /**
   * The registry of caller keys. It can be rebuilt from API Gateway (a lost record only costs a lookup by
   * name on the caller's next first request), so it is destroyed with the stack and has no backups.
   */
  private createCallerKeyTable(): dynamodb.Table {
    const table = new dynamodb.Table(this, 'CallerKeys', {
      partitionKey: { name: CALLER_KEY_TABLE_PARTITION_KEY, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    Validations.of(table).acknowledge({
      id: 'AwsSolutions-DDB3',
      reason:
        'The table records which caller keys are in a usage plan; API Gateway holds the keys themselves, so a lost record is rebuilt on the next request.',
    });
    return table;
  }

  /**
   * Lets the authorizer register per-caller keys: read and write the records, list usage plans, create
   * API keys, and add keys to the per-caller tiers' usage plans only
   * (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonapigatewaymanagement.html:
   * GetUsagePlans is `GET /usageplans`, CreateApiKey `POST /apikeys`, GetApiKeys `GET /apikeys`,
   * CreateUsagePlanKey `POST /usageplans/{id}/keys`). Nothing when no tier is per-caller.
   *
   * The plan-scoped statement is a policy of its own: the function's default policy is a dependency of
   * the function, and a reference from it to a plan would close a cycle (plan → stage → methods →
   * authorizer → function).
   */
  public grantCallerKeyRegistration(fn: lambda.IFunction): void {
    const table = this.callerKeyTable;
    if (table === undefined || fn.role === undefined) return;
    table.grant(fn, 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem');
    const { partition, region } = Stack.of(this);
    const arn = (path: string) => `arn:${partition}:apigateway:${region}::${path}`;
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['apigateway:POST', 'apigateway:GET'],
        resources: [arn('/apikeys')],
      }),
    );
    fn.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['apigateway:GET'], resources: [arn('/usageplans')] }),
    );
    new iam.Policy(this, 'CallerKeyRegistration', {
      roles: [fn.role],
      statements: [
        new iam.PolicyStatement({
          actions: ['apigateway:POST'],
          resources: perCallerTiers(this.config).map((t) =>
            arn(`/usageplans/${this.plans.get(t)!.usagePlanId}/keys`),
          ),
        }),
      ],
    });
  }

  /** The authorizer's `usage` block: token matchers, default tier, the key secrets' ARNs. */
  public authorizerBlock(): UsageKeysConfig {
    return {
      defaultTier: this.config.defaultTier,
      assignments: tokenAssignments(this.config),
      keySecrets: Object.fromEntries([...this.keySecrets].map(([n, s]) => [n, s.secretArn])),
      ...(this.callerKeyTable
        ? {
            callerKeys: { table: this.callerKeyTable.tableName, tiers: perCallerTiers(this.config) },
          }
        : {}),
    };
  }

  /** Registers a Keycloak method: the tiers' throttles for its route key apply to it. */
  public addMethod(routeKey: string, method: apigw.Method): void {
    for (const [name, tier] of Object.entries(this.config.tiers)) {
      const t = tier.routeThrottles?.[routeKey];
      if (t === undefined) continue;
      this.methodThrottles
        .get(name)!
        .push({ method, throttle: { rateLimit: t.rateLimit, burstLimit: t.burstLimit } });
      this.throttled.add(`${name} ${routeKey}`);
    }
  }

  private unusedRouteThrottles(owner: string): string[] {
    const errors: string[] = [];
    for (const [name, tier] of Object.entries(this.config.tiers))
      for (const key of Object.keys(tier.routeThrottles ?? {}))
        if (!this.throttled.has(`${name} ${key}`))
          errors.push(
            `${owner}: usageTiers.tiers.${name}.routeThrottles['${key}'] names no Keycloak route of the API (only methods the authorizer keys can be throttled per tier)`,
          );
    return errors;
  }
}

/**
 * A generated API key value (USAGE_KEY_LENGTH letters and digits) in Secrets Manager, so neither the
 * template nor any environment holds the value. cdk-nag's rotation rule (AwsSolutions-SMG4) is acknowledged
 * with `whyNoRotation`: a new value needs a new API key resource, which a rotation Lambda cannot make.
 */
export function usageKeyValueSecret(
  scope: Construct,
  id: string,
  options: { readonly description: string; readonly whyNoRotation: string },
): secretsmanager.Secret {
  const secret = new secretsmanager.Secret(scope, id, {
    description: options.description,
    generateSecretString: {
      passwordLength: USAGE_KEY_LENGTH,
      excludePunctuation: true,
      includeSpace: false,
    },
  });
  Validations.of(secret).acknowledge({ id: 'AwsSolutions-SMG4', reason: options.whyNoRotation });
  return secret;
}
