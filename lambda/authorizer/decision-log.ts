/**
 * The authorizer's log: one JSON line per request (Powertools Logger), the JWKS failure line, and the
 * configuration error. Field names come from common/decision-log.ts, which the construct's metric filters
 * read too. What is logged is chosen field by field: never the token, its signature or its claim set.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import type { DecisionOutcome } from '../../common/decision-log';
import {
  DECISION_FIELDS,
  DECISION_MESSAGE,
  JWKS_FAILURE_ISSUER_FIELD,
  JWKS_FAILURE_MESSAGE,
} from '../../common/decision-log';
import type { ReasonCode } from '../../common/reason-codes';
import type { TokenFacts } from './types';

export const SERVICE_NAME = 'keygate-authorizer';

export interface DecisionLine {
  /** API Gateway's request id (`correlation_id`), when the event carried one. */
  readonly requestId?: string;
  readonly decision: DecisionOutcome;
  readonly reason: ReasonCode;
  readonly route?: string;
  readonly facts?: TokenFacts;
  readonly durationMs: number;
  readonly cached: boolean;
  /** Only for internal_error: the error's class name (its message may carry claim values). */
  readonly errorType?: string;
}

export interface DecisionLog {
  decision(line: DecisionLine): void;
  jwksFailure(issuer: string, reason: string): void;
  configInvalid(errors: readonly string[]): void;
}

/** Claim values in facts are attacker-chosen strings until verified: bound them before logging. */
const MAX_FACT_LENGTH = 256;

function fact(v: string | undefined): string | undefined {
  return typeof v === 'string' ? v.slice(0, MAX_FACT_LENGTH) : undefined;
}

/** The production log, on a Powertools Logger (`POWERTOOLS_LOG_LEVEL` etc. apply as usual). */
export function createDecisionLog(logger: Logger = new Logger({ serviceName: SERVICE_NAME })): DecisionLog {
  return {
    decision(line) {
      const f = line.facts;
      const attributes = {
        correlation_id: line.requestId,
        [DECISION_FIELDS.decision]: line.decision,
        [DECISION_FIELDS.reason]: line.reason,
        [DECISION_FIELDS.route]: line.route,
        [DECISION_FIELDS.iss]: fact(f?.iss),
        [DECISION_FIELDS.kid]: fact(f?.kid),
        [DECISION_FIELDS.sub]: fact(f?.sub),
        [DECISION_FIELDS.azp]: fact(f?.azp),
        [DECISION_FIELDS.durationMs]: line.durationMs,
        [DECISION_FIELDS.cached]: line.cached,
        errorType: line.errorType,
      };
      if (line.reason === 'internal_error') logger.error(DECISION_MESSAGE, attributes);
      else logger.info(DECISION_MESSAGE, attributes);
    },
    jwksFailure(issuer, reason) {
      logger.warn(JWKS_FAILURE_MESSAGE, { [JWKS_FAILURE_ISSUER_FIELD]: fact(issuer), reason: fact(reason) });
    },
    configInvalid(errors) {
      logger.error('authorizer configuration invalid; every request is denied', {
        [DECISION_FIELDS.reason]: 'config_invalid' satisfies ReasonCode,
        errors: errors.slice(0, 50).map((e) => e.slice(0, 300)),
      });
    },
  };
}
