import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { RouteSpec } from '../../common/route-model';

/**
 * Lets a backend learn the routes its function serves: a ModelBackend takes its invoke requirement from
 * the route `POST /models/{modelId}/invoke` an API adds for it, so the function re-checks exactly what
 * the authorizer enforced. The APIs announce each route they add; a backend listens on its functions.
 */
const listeners = new WeakMap<IFunction, (route: RouteSpec) => void>();

/** Calls `listener` with every route an API adds that `fn` serves. */
export function onRouteServed(fn: IFunction, listener: (route: RouteSpec) => void): void {
  listeners.set(fn, listener);
}

/** Announces that `fn` serves `route` (called by the route table of every secured API). */
export function routeServed(fn: IFunction, route: RouteSpec): void {
  listeners.get(fn)?.(route);
}
