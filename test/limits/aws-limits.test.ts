/**
 * The AWS limits cfn-lint cannot see (common/aws-limits.ts), each checked on the worst case the
 * configuration validator accepts: the route and resource quotas of API Gateway, the size of the REST
 * authorizer's IAM policy, Lambda's 20 KB resource policy and its 4 KB environment.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { HttpMethod } from 'aws-cdk-lib/aws-apigatewayv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { beforeAll, describe, expect, test } from 'vitest';
import type { AppRouteConfig, StageConfig } from '../../common/app-config';
import { COGNITO_FEDERATION_ISSUER, DEFAULT_APP_CONFIG } from '../../common/app-config';
import { validateStageConfig } from '../../common/app-config-validate';
import {
  CLOUDFORMATION_RESOURCES_PER_STACK,
  DEPLOY_TIME_ID_MAX_CHARS,
  HTTP_API_ROUTES_PER_API,
  LAMBDA_ENVIRONMENT_BYTES,
  LAMBDA_RESOURCE_POLICY_BYTES,
  LAMBDA_RESPONSE_PAYLOAD_BYTES,
  POLICY_RESOURCE_MAX_CHARS,
  REST_API_RESOURCE_POLICY_CHARS,
  REST_API_RESOURCES_PER_API,
  policyResourceBytesBound,
} from '../../common/aws-limits';
import { NON_CANONICAL_PATH_RESOURCES } from '../../common/canonical-path';
import type { RouteSpec } from '../../common/route-model';
import { MAX_BOUND_COMBINATIONS, grantsFor } from '../../common/route-model';
import { buildKeygateApp } from '../../lib/app/build-app';
import { RouteAuth } from '../../lib/api/route-auth';
import { SecuredHttpApi } from '../../lib/api/secured-http-api';
import { SecuredRestApi } from '../../lib/api/secured-rest-api';
import { buildPolicy } from '../../lambda/authorizer/build-response';
import { inlineBackend } from '../lib/helpers';

const AT = 'keygate.stages.big';
// The route and size quotas are probed without the default stage's usage tiers (they need a REST API).
const dev: StageConfig = { ...DEFAULT_APP_CONFIG.stages.dev };
delete (dev as { usageTiers?: unknown }).usageTiers;

/** `POST /models/{modelId}/b<i>`: binds {modelId} to the caller's `model:<id>:invoke` roles. */
function bindingRoute(i: number): AppRouteConfig {
  return {
    method: 'POST',
    path: `/models/{modelId}/b${i}`,
    auth: 'keycloak',
    requirement: { anyOf: { realmRoles: ['model:{modelId}:invoke'] } },
  };
}
const plainRoute = (i: number): AppRouteConfig => ({ method: 'GET', path: `/r${i}`, auth: 'keycloak' });

function stage(routes: AppRouteConfig[], apis: StageConfig['apis']): StageConfig {
  return { ...dev, routes, apis, machinePrincipals: [] };
}

/** The largest number of binding routes the validator accepts beside `plain` plain routes. */
function maxBindingRoutes(plain: number): number {
  let b = 0;
  while (validateStageConfig(stage(routesOf(plain, b + 1), { http: true, rest: false }), AT).length === 0)
    b += 1;
  return b;
}
function routesOf(plain: number, binding: number): AppRouteConfig[] {
  return [
    ...Array.from({ length: plain }, (_, i) => plainRoute(i)),
    ...Array.from({ length: binding }, (_, i) => bindingRoute(i)),
  ];
}

describe('API Gateway route quotas, in the stage validator', () => {
  test('accepts 300 routes on an HTTP API and refuses 301, naming the field', () => {
    // GIVEN plain routes only (GET /r<i>), HTTP API only
    const ok = stage(routesOf(HTTP_API_ROUTES_PER_API, 0), { http: true, rest: false });
    const over = stage(routesOf(HTTP_API_ROUTES_PER_API + 1, 0), { http: true, rest: false });
    // THEN
    expect(validateStageConfig(ok, AT)).toEqual([]);
    expect(validateStageConfig(over, AT)).toEqual([
      `${AT}.routes: 301 routes exceed the HTTP API quota of 300 routes per API; split the stage`,
    ]);
  });

  test('accepts 300 REST API resources (the root included) and refuses 301, naming the field', () => {
    const ok = stage(routesOf(REST_API_RESOURCES_PER_API - 1, 0), { http: false, rest: true });
    const over = stage(routesOf(REST_API_RESOURCES_PER_API, 0), { http: false, rest: true });
    expect(validateStageConfig(ok, AT)).toEqual([]);
    expect(validateStageConfig(over, AT)).toEqual([
      `${AT}.routes: the paths make 301 REST API resources, over the quota of 300 resources per API; split the stage`,
    ]);
  });
});

describe('the HTTP API route quota, in SecuredHttpApi (routes other constructs add count too)', () => {
  function synthApi(count: number): () => void {
    const app = new App({
      outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'keygate-limits-')),
      context: { 'aws:cdk:bundling-stacks': [] },
    });
    const stack = new Stack(app, 'Limits', { env: { account: '111122223333', region: 'eu-west-1' } });
    const backend = inlineBackend(stack);
    const routes = Array.from({ length: count }, (_, i) => ({
      method: HttpMethod.GET,
      path: `/r${i}`,
      backend,
      auth: RouteAuth.iam(),
    }));
    new SecuredHttpApi(stack, 'Api', { routes });
    return () => app.synth();
  }

  test('SecuredHttpApi synthesizes 300 routes and refuses 301', () => {
    expect(synthApi(300)).not.toThrow();
    expect(synthApi(301)).toThrow(
      'SecuredHttpApi: 301 routes exceed the HTTP API quota of 300 routes per API; split the API',
    );
  });
});

describe("the REST API's resource policy (cross-account grants), in SecuredRestApi", () => {
  /** A REST API with one IAM route per grant, each granted to a cross-account role with a long name. */
  function synthGrants(grants: number): () => void {
    const app = new App({
      outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'keygate-limits-policy-')),
      context: { 'aws:cdk:bundling-stacks': [] },
    });
    const stack = new Stack(app, 'Limits', { env: { account: '111122223333', region: 'eu-west-1' } });
    const backend = inlineBackend(stack);
    const api = new SecuredRestApi(stack, 'Api', {
      routes: Array.from({ length: grants }, (_, i) => ({
        method: HttpMethod.POST,
        path: `/machine/models/{modelId}/invoke${i}`,
        backend,
        auth: RouteAuth.iam(),
      })),
      configureAccountLogRole: false,
    });
    const partner = new iam.ArnPrincipal(
      `arn:aws:iam::444455556666:role/${'partner-batch-scorer'.repeat(3)}`,
    );
    for (let i = 0; i < grants; i++) {
      api.allowCrossAccountInvoke(partner, HttpMethod.POST, `/machine/models/{modelId}/invoke${i}`);
    }
    return () => app.synth();
  }

  test('synthesizes the most grants that fit 8192 characters and refuses one more', () => {
    // GIVEN the largest number of grants that synthesizes
    // (about 170 characters a statement: 30 surely fit)
    let n = 30;
    expect(synthesizes(synthGrants(n))).toBe(true);
    while (synthesizes(synthGrants(n + 1))) n += 1;
    // THEN one more is refused, naming the quota
    expect(synthGrants(n + 1)).toThrow(
      new RegExp(
        `SecuredRestApi: the resource policy is \\d+ characters, over API Gateway's ${REST_API_RESOURCE_POLICY_CHARS}`,
      ),
    );
    expect(n).toBeGreaterThan(30);
    console.log(`REST resource policy: ${n} cross-account grants fit`);
  });
});

describe('policyResourceBytesBound', () => {
  const per = POLICY_RESOURCE_MAX_CHARS + 3;
  const fixed = NON_CANONICAL_PATH_RESOURCES.length;
  const bindingRoute = (method: string): RouteSpec =>
    ({
      method,
      path: '/models/{modelId}/invoke',
      auth: 'keycloak',
      requirement: { anyOf: { realmRoles: ['model:{modelId}:invoke'] } },
    }) as unknown as RouteSpec;
  const plainRoute = (method: string): RouteSpec =>
    ({
      method,
      path: '/health',
      auth: 'keycloak',
      requirement: { anyOf: { realmRoles: ['staff'] } },
    }) as unknown as RouteSpec;

  test('counts a resource per concrete method an ANY route names, bound or not', () => {
    // An ANY route is written once per concrete method (never `*`), so its bound is seven times a POST's.
    expect(policyResourceBytesBound([plainRoute('GET')])).toBe((1 + fixed) * per);
    expect(policyResourceBytesBound([plainRoute('ANY')])).toBe((7 + fixed) * per);
    expect(policyResourceBytesBound([bindingRoute('POST')])).toBe((MAX_BOUND_COMBINATIONS + fixed) * per);
    expect(policyResourceBytesBound([bindingRoute('ANY')])).toBe((7 * MAX_BOUND_COMBINATIONS + fixed) * per);
  });

  test('covers the policy an ANY binding route is written as, for a caller holding the most bound values', () => {
    const routes = [bindingRoute('ANY')];
    const caller = {
      sub: 'worst-case',
      realmRoles: Array.from({ length: MAX_BOUND_COMBINATIONS }, (_, i) => `model:m${i}:invoke`),
      clientRoles: [],
      scopes: [],
      groups: [],
    };
    const arnPrefix = `arn:aws-us-gov:execute-api:us-gov-west-1:123456789012:abcdef1234/${'s'.repeat(128)}/`;
    const grants = grantsFor(routes, caller);
    expect(grants.allow).toHaveLength(7 * MAX_BOUND_COMBINATIONS);
    expect(JSON.stringify(buildPolicy(arnPrefix, grants)).length).toBeLessThanOrEqual(
      policyResourceBytesBound(routes) + 200,
    );
  });
});

describe("the REST authorizer's IAM policy, for the largest route table the stage validator accepts", () => {
  // Both APIs: at most 297 routes under the REST resource quota (root, /models, /models/{modelId}).
  const plain = 251;
  const binding = maxBindingRoutes(plain);
  const routes = routesOf(plain, binding);

  test('is 297 routes, 46 of them binding a path parameter; one more binding route is refused, naming the field', () => {
    expect(binding).toBe(46);
    expect(routes).toHaveLength(297);
    expect(validateStageConfig(stage(routes, { http: true, rest: true }), AT)).toEqual([]);
    expect(validateStageConfig(stage(routesOf(plain, binding + 1), { http: true, rest: false }), AT)).toEqual(
      [
        `${AT}.routes: the authorizer's IAM policy for these routes can reach 6331925 bytes (47 routes bind a path parameter, ` +
          `each up to ${MAX_BOUND_COMBINATIONS} resources per method, of up to ${POLICY_RESOURCE_MAX_CHARS} characters), over Lambda's ` +
          `${LAMBDA_RESPONSE_PAYLOAD_BYTES}-byte response limit; bind path parameters on fewer routes`,
      ],
    );
  });

  test("fits Lambda's response payload for a caller holding the most bound values", () => {
    // GIVEN a caller holding the most bound values a route expands (256 model roles), on the longest ARN
    // prefix API Gateway can send (GovCloud partition and region, a 128-character stage name)
    const caller = {
      sub: 'worst-case',
      realmRoles: Array.from({ length: MAX_BOUND_COMBINATIONS }, (_, i) => `model:model-${i}:invoke`),
      clientRoles: [],
      scopes: [],
      groups: [],
    };
    const arnPrefix = `arn:aws-us-gov:execute-api:us-gov-west-1:123456789012:abcdef1234/${'s'.repeat(128)}/`;
    // WHEN
    const grants = grantsFor(routes as RouteSpec[], caller);
    const policy = JSON.stringify(buildPolicy(arnPrefix, grants));
    // THEN every route is allowed, binding routes once per role, within both bounds
    expect(grants.allow).toHaveLength(plain + binding * MAX_BOUND_COMBINATIONS);
    // Nothing is denied but the paths that are not canonical.
    expect(grants.deny).toEqual([...NON_CANONICAL_PATH_RESOURCES]);
    expect(policy.length).toBeLessThanOrEqual(policyResourceBytesBound(routes as RouteSpec[]) + 200);
    expect(policy.length).toBeLessThan(LAMBDA_RESPONSE_PAYLOAD_BYTES);
    console.log(
      `worst-case REST authorizer policy: ${policy.length} bytes for ${grants.allow.length} resources`,
    );
  });
});

describe('the largest stage the app synthesizes (both APIs, CORS, the default options)', () => {
  function synth(routes: AppRouteConfig[]): Template {
    const app = new App({
      outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'keygate-limits-app-')),
      context: { keygate: { stages: { big: stage(routes, { http: true, rest: true }) } } },
    });
    const stack = buildKeygateApp(app);
    app.synth();
    return Template.fromStack(stack);
  }
  let largest: number;
  let template: Template;

  beforeAll(() => {
    // The validator's 297 routes pass it; CloudFormation's 500 resources per stack are the tighter bound.
    let lo = 1;
    let hi = 297;
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if (synthesizes(() => synth(routesOf(mid, 0)))) lo = mid;
      else hi = mid - 1;
    }
    largest = lo;
    template = synth(routesOf(largest, 0));
  });

  test("one route more than the largest is refused at synth, naming the field and CloudFormation's quota", () => {
    expect(() => synth(routesOf(largest + 1, 0))).toThrow(
      /keygate\.stages\.big\.routes: the stage makes 50[0-9] CloudFormation resources, over the quota of 500 per stack/,
    );
    expect(Object.keys(template.toJSON().Resources).length).toBeLessThanOrEqual(
      CLOUDFORMATION_RESOURCES_PER_STACK,
    );
    expect(Object.keys(template.findResources('AWS::ApiGatewayV2::Route'))).toHaveLength(largest);
    console.log(
      `largest stage: ${largest} routes, ${Object.keys(template.toJSON().Resources).length} resources`,
    );
  });

  test("the backend's resource policy holds one invoke statement per API, far under Lambda's 20 KB", () => {
    const permissions = Object.values(template.findResources('AWS::Lambda::Permission')).filter((p) =>
      JSON.stringify(p.Properties.FunctionName).includes('ModelsFunction'),
    );
    expect(permissions).toHaveLength(2);
    // A statement is about 400 bytes (Sid, principal, action, function ARN, source ARN condition).
    expect(permissions.length * 400).toBeLessThan(LAMBDA_RESOURCE_POLICY_BYTES);
  });

  test("every function's environment fits Lambda's 4 KB", () => {
    const sizes = environmentSizes(template);
    expect(Object.keys(sizes)).toHaveLength(2);
    for (const size of Object.values(sizes)) expect(size).toBeLessThanOrEqual(LAMBDA_ENVIRONMENT_BYTES);
  });
});

describe("Lambda's 4 KB environment with deploy-time values (Cognito federation, browser sign-in)", () => {
  // Two issuers are trusted (the realm and the pool), so every keycloak route names both.
  const federated = (routes: AppRouteConfig[]): StageConfig => ({
    ...stage(routes, { http: false, rest: true }),
    routes: routes.map((r) =>
      r.auth === 'keycloak'
        ? {
            ...r,
            requirement: { ...r.requirement, issuers: [dev.keycloak.issuer, COGNITO_FEDERATION_ISSUER] },
          }
        : r,
    ),
    authorizer: undefined,
    cognitoFederation: {
      domainPrefix: 'keygate-limits',
      keycloakClientId: 'cognito-broker',
      clientSecretName: 'keygate/limits/broker',
      callbackUrls: ['https://app.example.com/callback'],
    },
    browserSignIn: { clientId: 'keygate-browser', allowedOrigins: ['https://app.example.com'] },
  });
  function synth(s: StageConfig): Template {
    const app = new App({
      outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'keygate-limits-env-')),
      context: { keygate: { stages: { big: s } }, 'aws:cdk:bundling-stacks': [] },
    });
    const stack = buildKeygateApp(app);
    return Template.fromStack(stack);
  }

  test('the largest table that synthesizes fits with every deploy-time id at its longest; one more route is refused', () => {
    // GIVEN the most plain routes that still synthesize (the config cannot be compressed at synth)
    let n = 1;
    while (synthesizes(() => synth(federated(routesOf(n + 8, 0))))) n += 8;
    while (synthesizes(() => synth(federated(routesOf(n + 1, 0))))) n += 1;
    // THEN n + 1 routes are refused at synth, naming the authorizer's routes
    expect(() => synth(federated(routesOf(n + 1, 0)))).toThrow(
      `KeygateAuthorizer: the configuration (issuers and ${n + 1} routes) does not fit in Lambda's 4 KB environment even gzipped; split the API or shorten requirements`,
    );
    // AND n routes fit, with every deploy-time value at its longest documented length
    const sizes = environmentSizes(synth(federated(routesOf(n, 0))));
    const authorizer = Object.entries(sizes).find(([id]) => id.startsWith('AuthorizerFunction'));
    expect(authorizer?.[1]).toBeLessThanOrEqual(LAMBDA_ENVIRONMENT_BYTES);
    console.log(`federated stage: ${n} routes fit; authorizer environment at most ${authorizer?.[1]} bytes`);
  });
});

function synthesizes(f: () => unknown): boolean {
  try {
    f();
    return true;
  } catch {
    return false;
  }
}

/** Bytes of every function's environment (keys and values), deploy-time values at their longest. */
function environmentSizes(template: Template): Record<string, number> {
  const sizes: Record<string, number> = {};
  for (const [id, fn] of Object.entries(template.findResources('AWS::Lambda::Function'))) {
    const vars = (fn.Properties.Environment?.Variables ?? {}) as Record<string, unknown>;
    sizes[id] = Object.entries(vars).reduce((sum, [k, v]) => sum + k.length + valueLength(v), 0);
  }
  return sizes;
}

function valueLength(v: unknown): number {
  if (typeof v === 'string') return Buffer.byteLength(v, 'utf8');
  const join = (v as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
  if (join) return join[1].reduce<number>((sum, part) => sum + valueLength(part), 0);
  return DEPLOY_TIME_ID_MAX_CHARS;
}
