/**
 * Step-up in a stage's configuration (docs/step-up.md): the realm's ACR-to-LoA mapping
 * (`keycloak.acrLoaMap`), the browser flow the realm definition builds for it (`keycloak.stepUpFlow`),
 * and the routes' `requirement.stepUp` checked against both and the result-cache TTL. Pure: no CDK, no I/O.
 */
import { COGNITO_FEDERATION_ISSUER } from './app-config';
import type { FieldIssue } from './field-issue';
import { fieldIssue, issuesAbout, messagesOf } from './field-issue';
import { isIntIn } from './field-checks';
import type { AcrLoaMap, StepUpRequirement } from './step-up';
import { MAX_LOA, METHOD_OR_ACR } from './step-up';
import { validateAcrLoaMap, validateStepUpRoutes } from './step-up-checks';

/** One level of the realm's step-up browser flow. */
export interface StepUpLevelConfig {
  /** The level, as `acrLoaMap` numbers it. */
  readonly level: number;
  /**
   * The Keycloak authenticator that reaches it, e.g. `auth-username-password-form`, `auth-password-form`,
   * `auth-otp-form`, `webauthn-authenticator`.
   */
  readonly authenticator: string;
  /** The `amr` value the authenticator adds to tokens (RFC 8176: `pwd`, `otp`, `hwk`, ...). @default - none */
  readonly amr?: string;
}

/**
 * The realm's step-up browser flow, built by the realm definition (realm/step-up-flow.ts) as Keycloak
 * documents it: one "Condition - level of authentication" sub-flow per level
 * (https://www.keycloak.org/docs/latest/server_admin/#_step-up-flow).
 */
export interface StepUpFlowConfig {
  /** The levels, lowest first; each level must be named in `acrLoaMap`. */
  readonly levels: readonly StepUpLevelConfig[];
  /** Seconds a level stays valid in the SSO session (Keycloak's `loa-max-age`). @default 36000 */
  readonly levelMaxAgeSeconds?: number;
  /** How long an `amr` value stays in the session's tokens (`default.reference.maxAge`). @default 36000 */
  readonly amrMaxAgeSeconds?: number;
}

/** Keycloak's default `loa-max-age` (10 hours), also used for the `amr` references. */
export const DEFAULT_LEVEL_MAX_AGE_SECONDS = 36_000;
/** A Keycloak authenticator (provider) id. */
const AUTHENTICATOR_ID = /^[a-z0-9][a-z0-9-]{0,63}$/;

/** What the stage checks need of a stage; the validator runs before the stage is typed. */
interface StageLike {
  readonly keycloak?: unknown;
  readonly cognitoFederation?: unknown;
  readonly routes?: unknown;
}

/**
 * The step-up checks of a stage: `keycloak.acrLoaMap`, `keycloak.stepUpFlow`, and every route's
 * `requirement.stepUp` against the issuers in its scope and the TTL (common/step-up.ts).
 */
export function validateStageStepUp(
  stage: StageLike,
  at: string,
  resultCacheTtlSeconds: number | undefined,
): string[] {
  return messagesOf(stageStepUpIssues(stage, at, resultCacheTtlSeconds));
}

/** validateStageStepUp's problems, each with the field it is about (a route table's, the routes). */
export function stageStepUpIssues(
  stage: StageLike,
  at: string,
  resultCacheTtlSeconds: number | undefined,
): FieldIssue[] {
  const kc = isObject(stage.keycloak) ? stage.keycloak : {};
  const errors: FieldIssue[] = [];
  const map = kc.acrLoaMap;
  if (map !== undefined)
    errors.push(
      ...issuesAbout(`${at}.keycloak.acrLoaMap`, validateAcrLoaMap(map, `${at}.keycloak.acrLoaMap`)),
    );
  if (kc.stepUpFlow !== undefined) {
    errors.push(
      ...validateStepUpFlow(kc.stepUpFlow, `${at}.keycloak.stepUpFlow`, map as AcrLoaMap | undefined),
    );
  }
  if (errors.length > 0 || !Array.isArray(stage.routes)) return errors;
  const issuers: { url: string; acrLoaMap?: AcrLoaMap }[] = [
    { url: String(kc.issuer), ...(map !== undefined ? { acrLoaMap: map as AcrLoaMap } : {}) },
  ];
  // The federated pool names no levels: its tokens carry no Keycloak acr (docs/step-up.md).
  if (stage.cognitoFederation !== undefined) issuers.push({ url: COGNITO_FEDERATION_ISSUER });
  return issuesAbout(
    `${at}.routes`,
    validateStepUpRoutes(
      issuers,
      stage.routes as {
        method: string;
        path: string;
        auth: string;
        requirement?: { stepUp?: StepUpRequirement };
      }[],
      resultCacheTtlSeconds,
      `${at}.routes`,
    ),
  );
}

function validateStepUpFlow(value: unknown, at: string, map: AcrLoaMap | undefined): FieldIssue[] {
  if (!isObject(value))
    return [fieldIssue(at, 'must be an object { levels, levelMaxAgeSeconds?, amrMaxAgeSeconds? }')];
  const errors: FieldIssue[] = [];
  for (const k of Object.keys(value)) {
    if (k !== 'levels' && k !== 'levelMaxAgeSeconds' && k !== 'amrMaxAgeSeconds')
      errors.push(
        fieldIssue(
          `${at}.${k}`,
          'is not a step-up flow field (levels, levelMaxAgeSeconds, amrMaxAgeSeconds)',
        ),
      );
  }
  if (map === undefined) errors.push(fieldIssue(at, 'needs keycloak.acrLoaMap naming its levels'));
  for (const f of ['levelMaxAgeSeconds', 'amrMaxAgeSeconds'] as const) {
    if (value[f] !== undefined && !isIntIn(value[f], 0, 31_536_000))
      errors.push(fieldIssue(`${at}.${f}`, 'must be an integer number of seconds from 0 to 31536000'));
  }
  const levels = value.levels;
  if (!Array.isArray(levels) || levels.length === 0)
    return [...errors, fieldIssue(`${at}.levels`, 'must list at least one level')];
  const seen = new Set<number>();
  levels.forEach((l: unknown, i: number) => {
    const f = `${at}.levels[${i}]`;
    if (!isObject(l)) {
      errors.push(fieldIssue(f, 'must be an object { level, authenticator, amr? }'));
      return;
    }
    for (const k of Object.keys(l)) {
      if (k !== 'level' && k !== 'authenticator' && k !== 'amr')
        errors.push(fieldIssue(`${f}.${k}`, 'is not a level field (level, authenticator, amr)'));
    }
    if (!isIntIn(l.level, 1, MAX_LOA))
      errors.push(fieldIssue(`${f}.level`, `must be an integer from 1 to ${MAX_LOA}`));
    else if (seen.has(l.level as number))
      errors.push(fieldIssue(`${f}.level`, `${String(l.level)} is listed twice`));
    else {
      seen.add(l.level as number);
      if (map !== undefined && !Object.values(map).includes(l.level as number))
        errors.push(
          fieldIssue(
            `${f}.level`,
            `${String(l.level)} has no name in keycloak.acrLoaMap: Keycloak would issue the bare number as acr, which the authorizer does not know`,
          ),
        );
    }
    if (typeof l.authenticator !== 'string' || !AUTHENTICATOR_ID.test(l.authenticator))
      errors.push(
        fieldIssue(`${f}.authenticator`, 'must be a Keycloak authenticator id such as auth-otp-form'),
      );
    if (l.amr !== undefined && (typeof l.amr !== 'string' || !METHOD_OR_ACR.test(l.amr)))
      errors.push(
        fieldIssue(`${f}.amr`, 'must be a method name such as otp (letters, digits, . _ : ~ + / -)'),
      );
  });
  return errors;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
