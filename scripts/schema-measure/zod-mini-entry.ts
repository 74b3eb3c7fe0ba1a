import * as z from 'zod/mini';
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

const httpsUrl = z.url({ protocol: /^https$/ });
const strings = z.array(z.string().check(z.minLength(1), z.maxLength(256)));
const roleClients = z.optional(z.array(z.string().check(z.regex(ROLE_CLIENT))));
const intIn = (min: number, max: number) => z.optional(z.int().check(z.gte(min), z.lte(max)));
const roles = z.strictObject({ realmRoles: z.optional(strings), clientRoles: z.optional(strings) });

const schema = z.strictObject({
  version: z.literal(1),
  issuers: z
    .array(
      z.discriminatedUnion('kind', [
        z.strictObject({
          kind: z.literal('keycloak'),
          issuer: httpsUrl,
          jwksUri: z.optional(httpsUrl),
          allowedClients: z.optional(strings),
          allowedAudiences: z.optional(strings),
          allowAccountAudience: z.optional(z.boolean()),
          algorithms: z.optional(z.array(z.enum(ALGORITHMS)).check(z.minLength(1))),
          roleClients,
          insecureHttpIssuerForDevelopmentOnly: z.optional(z.boolean()),
        }),
        z.strictObject({
          kind: z.literal('cognito'),
          userPoolId: z.string().check(z.regex(USER_POOL_ID)),
          region: z.string().check(z.regex(REGION)),
          allowedClients: strings.check(z.minLength(1)),
          roleClients,
        }),
      ]),
    )
    .check(z.minLength(1)),
  routes: z.array(
    z.strictObject({
      method: z.enum(METHODS),
      path: z.string().check(z.startsWith('/')),
      auth: z.enum(['keycloak', 'iam', 'cognito-user-pool']),
      requirement: z.optional(
        z.strictObject({ issuers: z.optional(strings), allOf: z.optional(roles), anyOf: z.optional(roles) }),
      ),
    }),
  ),
  tokenSource: z.optional(
    z.strictObject({
      header: z.optional(z.string().check(z.regex(HEADER))),
      cookie: z.optional(z.string().check(z.regex(COOKIE_OR_QUERY))),
      query: z.optional(z.string().check(z.regex(COOKIE_OR_QUERY))),
      allowedOrigins: z.optional(z.array(httpsUrl)),
    }),
  ),
  clockSkewSeconds: intIn(0, 60),
  responseMode: z.optional(z.enum(['iam', 'simple'])),
  jwksTimeoutMs: intIn(100, 4000),
  verifiedCacheSize: intIn(0, 100_000),
  resultCacheTtlSeconds: intIn(0, 3600),
});

export function validate(input: unknown = SAMPLE): boolean {
  return z.safeParse(schema, input).success;
}
