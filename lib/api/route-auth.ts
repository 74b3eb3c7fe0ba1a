import type { IUserPool } from 'aws-cdk-lib/aws-cognito';
import type { Entitlements, Requirement as RequirementSpec, RouteAuthKind } from '../../common/route-model';
import type { TrustedIssuer } from '../authorizer/trusted-issuer';
import type { Duration } from 'aws-cdk-lib';
import type { StepUpRequirement } from '../../common/step-up';
import { stepUpIssues } from '../../common/step-up';
import { KeygateValidationError, issuesError } from '../internal/validation-error';

/**
 * Entitlements a requirement names. Client roles are written `client:role`. An entitlement may bind a
 * path parameter in braces: `model:{modelId}:invoke` on `POST /models/{modelId}/invoke` is met only by
 * the role for the model in the request path.
 */
export interface EntitlementSet {
  /**
   * Realm roles (`realm_access.roles`).
   * @default - none
   */
  readonly realmRoles?: string[];
  /**
   * Client roles as `client:role` (`resource_access.<client>.roles`).
   * @default - none
   */
  readonly clientRoles?: string[];
  /**
   * OAuth scopes (`scope`).
   * @default - none
   */
  readonly scopes?: string[];
  /**
   * Group paths (`groups`, e.g. `/ml/analysts`).
   * @default - none
   */
  readonly groups?: string[];
}

/** Both halves of a requirement. */
export interface RequirementProps {
  /**
   * The caller must hold every one of these.
   * @default - no entitlement is required by this half
   */
  readonly allOf?: EntitlementSet;
  /**
   * The caller must hold at least one of these.
   * @default - no entitlement is required by this half
   */
  readonly anyOf?: EntitlementSet;
}

/** What a caller must hold to call a Keycloak-protected route. */
export class Requirement {
  /** Any valid token of a trusted issuer. */
  public static authenticated(): Requirement {
    return new Requirement(undefined);
  }

  /** The caller must hold every listed entitlement. */
  public static allOf(entitlements: EntitlementSet): Requirement {
    return new Requirement({ allOf: toEntitlements(entitlements) });
  }

  /** The caller must hold at least one listed entitlement. */
  public static anyOf(entitlements: EntitlementSet): Requirement {
    return new Requirement({ anyOf: toEntitlements(entitlements) });
  }

  /** Every entitlement in `allOf` and at least one in `anyOf`. */
  public static of(props: RequirementProps): Requirement {
    const spec: { allOf?: Entitlements; anyOf?: Entitlements } = {};
    if (props.allOf) spec.allOf = toEntitlements(props.allOf);
    if (props.anyOf) spec.anyOf = toEntitlements(props.anyOf);
    return new Requirement(Object.keys(spec).length > 0 ? spec : undefined);
  }

  private constructor(
    /** @internal the shared route model's requirement */
    public readonly _spec: RequirementSpec | undefined,
  ) {}

  /**
   * This requirement, met only by tokens of the given issuers: roles, scopes and groups in a token of
   * any other trusted issuer never count for it. Required on every Keycloak route when the authorizer
   * trusts several issuers.
   */
  public forIssuers(...issuers: TrustedIssuer[]): Requirement {
    if (issuers.length === 0)
      throw new KeygateValidationError(
        undefined,
        'issuers',
        'Requirement.forIssuers: name at least one TrustedIssuer',
      );
    return new Requirement({ ...this._spec, issuers: issuers.map((i) => i.issuerUrl) });
  }
  /**
   * This requirement, met only by a sign-in strong and recent enough (RFC 9470 step-up): see
   * docs/step-up.md. Throws at once when the props are invalid.
   */
  public withStepUp(props: StepUpProps): Requirement {
    const stepUp: { -readonly [K in keyof StepUpRequirement]: StepUpRequirement[K] } = {};
    if (props.minLoa !== undefined) stepUp.minLoa = props.minLoa;
    if (props.amr !== undefined) stepUp.amr = [...props.amr];
    if (props.maxAge !== undefined) stepUp.maxAgeSeconds = props.maxAge.toSeconds();
    const issues = stepUpIssues(stepUp, 'Requirement.withStepUp');
    if (issues.length > 0)
      throw issuesError(undefined, issues, { base: 'Requirement.withStepUp', whole: 'stepUp' });
    return new Requirement({ ...this._spec, stepUp });
  }
}

/** What a route demands of the caller's sign-in (RFC 9470). At least one is set. */
export interface StepUpProps {
  /**
   * The least level of assurance, in the order of the issuer's `acrLoaMap`.
   * @default - any level
   */
  readonly minLoa?: number;
  /**
   * Authentication methods (`amr` entries, e.g. `otp`) that must all be present.
   * @default - none
   */
  readonly amr?: string[];
  /**
   * The most time since the sign-in (`auth_time`); must exceed the authorizer's result-cache TTL.
   * @default - no bound
   */
  readonly maxAge?: Duration;
}

function toEntitlements(e: EntitlementSet): Entitlements {
  const out: { -readonly [K in keyof Entitlements]: Entitlements[K] } = {};
  if (e.realmRoles) out.realmRoles = [...e.realmRoles];
  if (e.clientRoles) out.clientRoles = [...e.clientRoles];
  if (e.scopes) out.scopes = [...e.scopes];
  if (e.groups) out.groups = [...e.groups];
  return out;
}

/** How a route is authorized. */
export class RouteAuth {
  /**
   * The Keygate Lambda authorizer: a Keycloak (or Cognito-federated) access token meeting the requirement.
   * @param requirement default: any valid token
   */
  public static keycloak(requirement?: Requirement): RouteAuth {
    return new RouteAuth('keycloak', requirement?._spec, undefined);
  }

  /** AWS_IAM (SigV4) for machine callers; grant callers with `grantInvoke`. */
  public static iam(): RouteAuth {
    return new RouteAuth('iam', undefined, undefined);
  }

  /**
   * API Gateway's native Cognito user-pools authorizer: any signed-in user of the pool (REST APIs only).
   */
  public static cognitoUserPool(userPool: IUserPool): RouteAuth {
    return new RouteAuth('cognito-user-pool', undefined, userPool);
  }

  private constructor(
    /** `keycloak`, `iam` or `cognito-user-pool`. */
    public readonly kind: string,
    /** @internal */
    public readonly _requirement: RequirementSpec | undefined,
    /** @internal */
    public readonly _userPool: IUserPool | undefined,
  ) {}

  /** @internal */
  public get _kind(): RouteAuthKind {
    return this.kind as RouteAuthKind;
  }
}
