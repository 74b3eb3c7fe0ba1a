import * as v from 'valibot';
import {
  ALGORITHMS,
  COOKIE_OR_QUERY,
  HEADER,
  METHODS,
  REGION,
  ROLE_CLIENT,
  SAMPLE,
  USER_POOL_ID,
} from './shape';

const httpsUrl = v.pipe(v.string(), v.url(), v.startsWith('https://'));
const strings = v.array(v.pipe(v.string(), v.minLength(1), v.maxLength(256)));
const roleClients = v.optional(v.array(v.pipe(v.string(), v.regex(ROLE_CLIENT))));
const intIn = (min: number, max: number) =>
  v.optional(v.pipe(v.number(), v.integer(), v.minValue(min), v.maxValue(max)));
const roles = v.strictObject({ realmRoles: v.optional(strings), clientRoles: v.optional(strings) });

const schema = v.strictObject({
  version: v.literal(1),
  issuers: v.pipe(
    v.array(
      v.variant('kind', [
        v.strictObject({
          kind: v.literal('keycloak'),
          issuer: httpsUrl,
          jwksUri: v.optional(httpsUrl),
          allowedClients: v.optional(strings),
          allowedAudiences: v.optional(strings),
          allowAccountAudience: v.optional(v.boolean()),
          algorithms: v.optional(v.pipe(v.array(v.picklist(ALGORITHMS)), v.minLength(1))),
          roleClients,
          insecureHttpIssuerForDevelopmentOnly: v.optional(v.boolean()),
        }),
        v.strictObject({
          kind: v.literal('cognito'),
          userPoolId: v.pipe(v.string(), v.regex(USER_POOL_ID)),
          region: v.pipe(v.string(), v.regex(REGION)),
          allowedClients: v.pipe(strings, v.minLength(1)),
          roleClients,
        }),
      ]),
    ),
    v.minLength(1),
  ),
  routes: v.array(
    v.strictObject({
      method: v.picklist(METHODS),
      path: v.pipe(v.string(), v.startsWith('/')),
      auth: v.picklist(['keycloak', 'iam', 'cognito-user-pool']),
      requirement: v.optional(
        v.strictObject({ issuers: v.optional(strings), allOf: v.optional(roles), anyOf: v.optional(roles) }),
      ),
    }),
  ),
  tokenSource: v.optional(
    v.strictObject({
      header: v.optional(v.pipe(v.string(), v.regex(HEADER))),
      cookie: v.optional(v.pipe(v.string(), v.regex(COOKIE_OR_QUERY))),
      query: v.optional(v.pipe(v.string(), v.regex(COOKIE_OR_QUERY))),
      allowedOrigins: v.optional(v.array(httpsUrl)),
    }),
  ),
  clockSkewSeconds: intIn(0, 60),
  responseMode: v.optional(v.picklist(['iam', 'simple'])),
  jwksTimeoutMs: intIn(100, 4000),
  verifiedCacheSize: intIn(0, 100_000),
  resultCacheTtlSeconds: intIn(0, 3600),
});

export function validate(input: unknown = SAMPLE): boolean {
  return v.safeParse(schema, input).success;
}
