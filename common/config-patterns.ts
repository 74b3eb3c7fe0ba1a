/**
 * Patterns the function configurations (common/model-backend-config.ts, common/sign-in-config.ts) and
 * the constructs both use. Kept apart from those schemas so that the construct library, which ships
 * without valibot, can import them.
 */
import { HTTP_METHODS } from './route-model';

/** `METHOD /path`, as machine callers name the iam routes they were granted. */
export const ROUTE_KEY_PATTERN = new RegExp(`^(${HTTP_METHODS.join('|')}) (\\/\\S*)$`);

/** An OAuth scope token (RFC 6749 §3.3): no spaces, quotes or backslashes. */
export const SCOPE_TOKEN_PATTERN = /^[\x21\x23-\x5b\x5d-\x7e]{1,255}$/;

/** An IAM role or user ARN (`arn:<partition>:iam::<account>:role/<path/>name`). */
export const PRINCIPAL_ARN_PATTERN =
  /^arn:aws[a-z-]*:iam::\d{12}:(role|user)\/([\x21-\x7e]+\/)?[\w+=,.@-]{1,128}$/;

/** The longest `clientSecretField` (the JSON field of the client secret) the sign-in function takes. */
export const MAX_SECRET_FIELD_LENGTH = 128;
