/**
 * In-process stand-ins for routes' integrations: a function of the caller's answering a route in place of
 * the Lambda function the template integrates (e.g. one that records the event the gateway built, or a
 * backend the local gateway cannot run). Everything on the gateway's side stays as served: authorization,
 * the result cache, the proxy event, the response made of the function's answer. Only the call is replaced.
 *
 * ```ts
 * const seen: unknown[] = [];
 * const echo: LambdaFunction = async (event) => (seen.push(event), { statusCode: 200, body: '{}' });
 * await serveAssembly({ replaceIntegrations: { routes: { 'GET /me': { invoke: echo } } } });
 * ```
 *
 * A stand-in that names no route of the served APIs is an error, not a silent no-op: a test replacing a
 * route that does not exist would otherwise pass against the real function.
 */
import { routeKey } from '../../common/route-model';
import type { LambdaFunction, StreamingLambdaFunction } from '../gateway/local-gateway';
import type { AssemblyApi, AssemblyFunction, AssemblyRoute, AssemblyStack } from './assembly-model';
import { AssemblyError } from './assembly-model';

/** What answers a replaced route. */
export interface IntegrationStandIn {
  /**
   * Answers the route's requests with a proxy result. A streaming route (REST `ResponseTransferMode:
   * STREAM`) replaced without `stream` is answered by it too, buffered.
   */
  readonly invoke: LambdaFunction;
  /**
   * Answers a streaming route as it writes (`awslambda.streamifyResponse`'s inner function; write the
   * prelude with `localStreamingRuntime.HttpResponseStream.from`). Not used on other routes.
   * @default - streaming routes are answered by `invoke`, buffered
   */
  readonly stream?: StreamingLambdaFunction;
}

/**
 * Which routes a stand-in answers. A route takes the stand-in of its route key, else that of its function,
 * else `all`. Every name must match a route the served APIs run locally: a route answering 501 (its
 * function or its authorizer cannot run here) keeps answering 501, since a stand-in cannot authorize it.
 */
export interface IntegrationReplacements {
  /** Every route of the served APIs that runs locally. @default - none */
  readonly all?: IntegrationStandIn;
  /** By route key (`GET /me`, `POST /models/{modelId}/invoke`), on every served API that has it. @default - none */
  readonly routes?: Readonly<Record<string, IntegrationStandIn>>;
  /**
   * By the integrated function's logical id or `aws:cdk:path` (e.g. `KeygateDev/Models/Function/Resource`):
   * every route that invokes it. @default - none
   */
  readonly functions?: Readonly<Record<string, IntegrationStandIn>>;
}

/** The stand-in of one route (and the function it integrates), or undefined to run that function. */
export type StandInOf = (route: AssemblyRoute, fn: AssemblyFunction) => IntegrationStandIn | undefined;

/** Checks every name of `replacements` against the served APIs and gives the lookup per route. */
export function integrationStandIns(
  stack: AssemblyStack,
  apis: readonly AssemblyApi[],
  replacements: IntegrationReplacements | undefined,
): StandInOf {
  if (!replacements) return () => undefined;
  // The routes the gateway runs (serve-assembly.ts answers the others with 501).
  const routes = apis.flatMap((a) => a.routes).filter((r) => !r.unsupported && functionOf(stack, r));
  const keys = new Set(routes.map((r) => routeKey(r)));
  for (const key of Object.keys(replacements.routes ?? {})) {
    if (!keys.has(key))
      throw new AssemblyError(
        `replaceIntegrations.routes['${key}'] names no route the served APIs run locally (${[...keys].join(', ')})`,
      );
  }
  const integrated = routes.map((r) => functionOf(stack, r)!);
  for (const name of Object.keys(replacements.functions ?? {})) {
    if (!integrated.some((fn) => namesFunction(name, fn)))
      throw new AssemblyError(
        `replaceIntegrations.functions['${name}'] names no function a route of the served APIs integrates`,
      );
  }
  return (route, fn) => {
    const byRoute = replacements.routes?.[routeKey(route)];
    if (byRoute) return byRoute;
    const byFunction = Object.entries(replacements.functions ?? {}).find(([name]) => namesFunction(name, fn));
    return byFunction?.[1] ?? replacements.all;
  };
}

function functionOf(stack: AssemblyStack, route: AssemblyRoute): AssemblyFunction | undefined {
  return route.functionId ? stack.functions[route.functionId] : undefined;
}

function namesFunction(name: string, fn: AssemblyFunction): boolean {
  return name === fn.id || name === fn.path;
}
