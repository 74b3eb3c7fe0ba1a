/**
 * Properties of the handler under hostile events: it only ever returns a response or throws the
 * `Unauthorized` error, and whatever it returns never allows a route the route table does not allow the
 * caller (evaluated with IAM semantics against the method ARN the event itself names).
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTokenVerifier } from '../../../lambda/authorizer/verify-token';
import type { JwksServer } from '../../support/https-server';
import { startJwksServer } from '../../support/https-server';
import type { TestKey } from '../../support/keys';
import { generateSigningKey, jwksOf } from '../../support/keys';
import { keycloakAccessToken } from '../../support/tokens';
import { matchRoute, meetsRequirement } from '../../../common/route-model';
import { createHandler } from '../../../lambda/authorizer/handler';
import type { AuthorizerResponse } from '../../../lambda/authorizer/build-response';
import { EVENT_KINDS, apigwEvent } from '../../fixtures/apigw/events';
import {
  PRINCIPALS,
  REQUESTS,
  ROUTES,
  RecordingLog,
  config,
  evaluatePolicy,
  tableVerifier,
} from './pipeline-fixtures';

const TOKENS = Object.fromEntries(Object.entries(PRINCIPALS).map(([n, p]) => [`tok.${n}.sig`, p]));
const NAMES = Object.keys(PRINCIPALS);

type Json = unknown;

/** Every path to a value in a JSON tree, e.g. ['requestContext', 'http', 'method']. */
function paths(v: Json, prefix: (string | number)[] = []): (string | number)[][] {
  const out: (string | number)[][] = [prefix];
  if (Array.isArray(v)) v.forEach((x, i) => out.push(...paths(x, [...prefix, i])));
  else if (typeof v === 'object' && v !== null)
    for (const [k, x] of Object.entries(v)) out.push(...paths(x, [...prefix, k]));
  return out;
}

type Mutation = { at: number; op: 'delete' | 'set' | 'append'; value: Json; text: string };

const mutation: fc.Arbitrary<Mutation> = fc.record({
  at: fc.nat(),
  op: fc.constantFrom('delete', 'set', 'append'),
  value: fc.oneof(
    fc.jsonValue(),
    fc.constantFrom(null, undefined, [], {}, '', '*', '/', 'GET', '$default', 'Bearer'),
  ),
  text: fc.oneof(
    fc.string(),
    fc.constantFrom('*', '/*', '?', '/../admin/reports', '%2F', ',Bearer tok.admin.sig', '/GET/*'),
  ),
});

function mutate(event: Json, ms: readonly Mutation[]): Json {
  let e = structuredClone(event);
  for (const m of ms) {
    const all = paths(e);
    const path = all[m.at % all.length];
    if (path.length === 0) {
      e = m.op === 'set' ? m.value : e;
      continue;
    }
    const parent = path
      .slice(0, -1)
      .reduce<Json>((o, k) => (o as Record<string | number, Json>)[k], e) as Record<string | number, Json>;
    const key = path[path.length - 1];
    if (typeof parent !== 'object' || parent === null) continue;
    if (m.op === 'delete') delete parent[key];
    else if (m.op === 'set') parent[key] = m.value;
    else if (typeof parent[key] === 'string') parent[key] = (parent[key] as string) + m.text;
    else parent[key] = m.text;
  }
  return e;
}

/** Would the route table let `name` call `method path`? */
function tableAllows(name: string, method: string, path: string): boolean {
  const m = matchRoute(ROUTES, method, path);
  return (
    m !== undefined &&
    m.route.auth === 'keycloak' &&
    meetsRequirement(m.route.requirement, PRINCIPALS[name], m.params)
  );
}

/** The method ARN of an event, if it has one of the right shape. */
function arnOf(event: Json): string | undefined {
  if (typeof event !== 'object' || event === null) return undefined;
  const e = event as Record<string, unknown>;
  const arn = e.version === '2.0' ? e.routeArn : e.methodArn;
  return typeof arn === 'string' ? arn : undefined;
}

async function run(h: (e: unknown) => Promise<AuthorizerResponse>, event: Json) {
  try {
    return { returned: await h(event) };
  } catch (e) {
    return { thrown: e };
  }
}

describe('handler properties', () => {
  const mode = fc.constantFrom('iam' as const, 'simple' as const);

  it('never throws anything but Error("Unauthorized") for arbitrary input', async () => {
    await fc.assert(
      fc.asyncProperty(fc.anything(), mode, async (event, responseMode) => {
        const h = createHandler({
          config: { ok: true, config: config({ responseMode }) },
          createVerifier: () => tableVerifier(TOKENS),
          log: new RecordingLog(),
        });
        const r = await run(h, event);
        expect(r.thrown).toBeInstanceOf(Error);
        expect((r.thrown as Error).message).toBe('Unauthorized');
      }),
      { numRuns: 300 },
    );
  });

  it('mutated events never allow what the route table does not, and fail only with Unauthorized', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...EVENT_KINDS),
        fc.constantFrom(...REQUESTS),
        fc.constantFrom(...NAMES),
        fc.array(mutation, { minLength: 1, maxLength: 4 }),
        mode,
        async (kind, req, name, ms, responseMode) => {
          const log = new RecordingLog();
          const h = createHandler({
            config: { ok: true, config: config({ responseMode }) },
            createVerifier: () => tableVerifier(TOKENS),
            log,
          });
          const event = mutate(
            apigwEvent(kind, { method: req.method, path: req.path, authorization: `Bearer tok.${name}.sig` }),
            ms,
          );
          const r = await run(h, event);
          expect(log.lines).toHaveLength(1);
          if ('thrown' in r) {
            expect((r.thrown as Error).message).toBe('Unauthorized');
            expect(log.lines[0].decision).toBe('unauthorized');
            return;
          }
          // A response: whoever it names must be allowed on the ARN it is evaluated against, by the table.
          const arn = arnOf(event)!;
          const m = /^arn:aws:execute-api:[^:]+:\d{12}:[^/]+\/[^/]+\/([A-Z]+)(\/.*)$/.exec(arn)!;
          const who = NAMES.find(
            (n) =>
              PRINCIPALS[n].sub ===
              ('principalId' in r.returned ? r.returned.principalId : r.returned.context.sub),
          )!;
          const allowedByTable = tableAllows(who, m[1], m[2]);
          const allowedByResponse =
            'isAuthorized' in r.returned
              ? r.returned.isAuthorized
              : evaluatePolicy(r.returned.policyDocument.Statement, arn) === 'allow';
          if (allowedByResponse) expect(allowedByTable).toBe(true);
          // The log says what API Gateway will do with the response.
          expect(log.lines[0].decision).toBe(allowedByResponse ? 'allow' : 'deny');
        },
      ),
      { numRuns: 600 },
    );
  });

  it('an unknown or altered token is never allowed', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...EVENT_KINDS),
        fc.constantFrom(...NAMES),
        fc.string({ minLength: 0, maxLength: 12 }),
        fc.nat(),
        async (kind, name, junk, at) => {
          const good = `tok.${name}.sig`;
          const i = at % (good.length + 1);
          const bad = good.slice(0, i) + junk + good.slice(i + (junk.length === 0 ? 1 : 0));
          // Whitespace around a header value is not part of it (RFC 9110 section 5.5): trimmed, the token is
          // the original one, which is rightly allowed.
          fc.pre(bad.trim() !== good && !Object.prototype.hasOwnProperty.call(TOKENS, bad.trim()));
          const h = createHandler({
            config: { ok: true, config: config() },
            createVerifier: () => tableVerifier(TOKENS),
            log: new RecordingLog(),
          });
          const r = await run(h, apigwEvent(kind, { authorization: `Bearer ${bad}` }));
          expect((r as { thrown: Error }).thrown?.message).toBe('Unauthorized');
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('handler properties with real signed tokens (JWKS over HTTPS)', () => {
  let server: JwksServer;
  let key: TestKey;
  let issuer: string;
  beforeAll(async () => {
    key = await generateSigningKey('RS256');
    server = await startJwksServer(jwksOf(key));
    issuer = `${server.url}/realms/keygate`;
  });
  afterAll(async () => {
    await server.close();
  });

  const tokenMutation = fc.oneof(
    // replace one character with any base64url or separator character
    fc.record({
      kind: fc.constant('char' as const),
      at: fc.nat(),
      ch: fc.constantFrom(...'ABCabc019-_.='.split('')),
    }),
    fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }),
    fc.record({ kind: fc.constant('swap' as const), at: fc.nat() }),
    fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), text: fc.string({ maxLength: 8 }) }),
  );

  function apply(token: string, m: Record<string, unknown>): string {
    const at = (m.at as number) % token.length;
    if (m.kind === 'char') return token.slice(0, at) + (m.ch as string) + token.slice(at + 1);
    if (m.kind === 'cut') return token.slice(0, at);
    if (m.kind === 'insert') return token.slice(0, at) + (m.text as string) + token.slice(at);
    const parts = token.split('.');
    const i = at % 3;
    const j = (i + 1) % 3;
    [parts[i], parts[j]] = [parts[j], parts[i]];
    return parts.join('.');
  }

  it('a mutated token never produces an allow; the handler only ever throws Unauthorized', async () => {
    const log = new RecordingLog();
    const h = createHandler({
      config: {
        ok: true,
        config: config({ issuers: [{ kind: 'keycloak', issuer, allowedClients: ['keygate-web'] }] }),
      },
      createVerifier: (c, events) => createTokenVerifier(c, { events, requestOptions: { ca: server.ca } }),
      log,
    });
    const good = keycloakAccessToken(key, {
      issuer,
      azp: 'keygate-web',
      realmRoles: ['model-user', 'admin'],
      scope: 'openid reports:read',
    });
    // The original token is allowed, so a refusal below is the mutation's doing.
    expect(await h(apigwEvent('rest', { authorization: `Bearer ${good}` }))).toHaveProperty('principalId');
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...EVENT_KINDS),
        fc.array(tokenMutation, { minLength: 1, maxLength: 3 }),
        async (kind, ms) => {
          const bad = ms.reduce<string>((t, m) => apply(t, m as Record<string, unknown>), good);
          // Base64url has spare bits in a segment's last character: a change there can decode to the very
          // same bytes, which is the same token, not a mutation.
          const bytes = (t: string) => t.split('.').map((p) => Buffer.from(p, 'base64url').toString('hex'));
          const sameBytes =
            /^[\w-]+\.[\w-]+\.[\w-]+$/.test(bad) &&
            JSON.stringify(bytes(bad)) === JSON.stringify(bytes(good));
          fc.pre(bad.trim() !== good && !sameBytes);
          const r = await run(h, apigwEvent(kind, { authorization: `Bearer ${bad}` }));
          expect('thrown' in r).toBe(true);
          expect((r as { thrown: Error }).thrown.message).toBe('Unauthorized');
        },
      ),
      { numRuns: 250 },
    );
    expect(log.lines.filter((l) => l.decision === 'allow')).toHaveLength(1);
  });
});
