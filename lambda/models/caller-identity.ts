/**
 * Who is calling, read from what API Gateway put into the event after authorizing the request. Pure.
 *
 * - Keycloak routes: the Keygate Lambda authorizer's context. REST APIs deliver it as
 *   `requestContext.authorizer.<key>`, HTTP APIs as `requestContext.authorizer.lambda.<key>`
 *   (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-lambda-authorizer.html).
 * - IAM routes: the SigV4 caller. REST APIs put it in `requestContext.identity` (userArn, caller,
 *   accountId); HTTP APIs in `requestContext.authorizer.iam`
 *   (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html).
 *
 * Identity is never read from request headers: a client can send any header it likes, and a REST proxy
 * integration passes them through unchanged (only the HTTP API's parameter mapping overwrites the
 * `x-keygate-*` headers). The context's `issuer` is the verified `iss`; the invoke check scopes by it.
 */
import {
  CONTEXT_KEYS,
  EMPTY_CONTEXT_VALUE,
  MAX_CONTEXT_VALUE_LENGTH,
  TOKEN_KINDS,
  boundScalar,
  splitList,
  type TokenKind,
} from '../../common/identity-context';
import { isRecord } from './backend-config';
import type { IamCaller, IdentityResult, TokenCaller } from './types';

const CALLER_ARN = /^arn:aws[a-z-]*:(sts|iam)::(\d{12}):[\x21-\x7e]{1,1000}$/;
const MAX_LIST_ENTRIES = 256;

/** The identity for a request that arrived on a route authorized as `routeAuth`. */
export function identityFromEvent(event: unknown, routeAuth: 'keycloak' | 'iam'): IdentityResult {
  if (!isRecord(event) || !isRecord(event.requestContext)) {
    return { ok: false, reason: 'the event has no requestContext' };
  }
  const ctx = event.requestContext;
  return routeAuth === 'iam' ? iamCaller(ctx) : tokenCaller(ctx);
}

function tokenCaller(ctx: Record<string, unknown>): IdentityResult {
  const authorizer = ctx.authorizer;
  if (!isRecord(authorizer)) return { ok: false, reason: 'no authorizer context' };
  // HTTP APIs nest the Lambda authorizer's context under `lambda`; REST APIs put it at the top level.
  const source = isRecord(authorizer.lambda) ? authorizer.lambda : authorizer;
  // The authorizer writes EMPTY_CONTEXT_VALUE ('-') for "none", never an empty string.
  const read = (key: string): string => {
    const v = source[key];
    return typeof v === 'string' && v !== EMPTY_CONTEXT_VALUE ? boundScalar(v, MAX_CONTEXT_VALUE_LENGTH) : '';
  };
  const sub = read(CONTEXT_KEYS.sub);
  const issuer = read(CONTEXT_KEYS.issuer);
  if (sub === '' || issuer === '') return { ok: false, reason: 'authorizer context lacks sub or issuer' };
  const kind = read(CONTEXT_KEYS.tokenKind);
  const tokenKind: TokenKind | '' = TOKEN_KINDS.includes(kind as TokenKind) ? (kind as TokenKind) : '';
  const caller: TokenCaller = {
    type: 'token',
    sub,
    username: read(CONTEXT_KEYS.username),
    clientId: read(CONTEXT_KEYS.clientId),
    issuer,
    tokenKind,
    ...roleLists(source, read),
    scopes: list(read(CONTEXT_KEYS.scopes)),
    groups: list(read(CONTEXT_KEYS.groups)),
  };
  return { ok: true, caller };
}

/**
 * Realm and client roles come in separate keys: a realm role may itself contain ':', so only they say which
 * is which. An authorizer that writes neither (an older version) is read through the combined `roles` list:
 * every entry as a realm role, entries of the `client:role` form also as client roles.
 */
function roleLists(
  source: Record<string, unknown>,
  read: (key: string) => string,
): { realmRoles: string[]; clientRoles: string[] } {
  const separate =
    typeof source[CONTEXT_KEYS.realmRoles] === 'string' ||
    typeof source[CONTEXT_KEYS.clientRoles] === 'string';
  if (separate)
    return {
      realmRoles: list(read(CONTEXT_KEYS.realmRoles)),
      clientRoles: list(read(CONTEXT_KEYS.clientRoles)),
    };
  const roles = list(read(CONTEXT_KEYS.roles));
  return { realmRoles: roles, clientRoles: roles.filter((r) => r.indexOf(':') > 0) };
}

function list(value: string): string[] {
  return splitList(value).slice(0, MAX_LIST_ENTRIES);
}

function iamCaller(ctx: Record<string, unknown>): IdentityResult {
  // HTTP API (payload 2.0): requestContext.authorizer.iam
  const http = isRecord(ctx.authorizer) && isRecord(ctx.authorizer.iam) ? ctx.authorizer.iam : undefined;
  if (http) return fromIam(http.userArn, http.accountId, http.callerId);
  // REST API and HTTP payload 1.0: requestContext.identity
  if (isRecord(ctx.identity))
    return fromIam(ctx.identity.userArn, ctx.identity.accountId, ctx.identity.caller);
  return { ok: false, reason: 'no IAM identity in the event' };
}

function fromIam(userArn: unknown, accountId: unknown, callerId: unknown): IdentityResult {
  if (typeof userArn !== 'string') return { ok: false, reason: 'no IAM identity in the event' };
  const m = CALLER_ARN.exec(userArn);
  if (!m) return { ok: false, reason: 'the IAM caller ARN is malformed' };
  // The account in the ARN is the one that signed; a different accountId field means a confused event.
  if (typeof accountId === 'string' && accountId !== '' && accountId !== m[2]) {
    return { ok: false, reason: 'the IAM caller account does not match its ARN' };
  }
  const caller: IamCaller = {
    type: 'iam',
    principalArn: userArn,
    accountId: m[2],
    callerId: typeof callerId === 'string' ? boundScalar(callerId, 256) : '',
  };
  return { ok: true, caller };
}
