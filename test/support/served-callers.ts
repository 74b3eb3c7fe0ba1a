/**
 * A served stage (local/serve-stage.ts) as the callers of local/callers.ts see it: the built-in issuer,
 * the stage's clients, and the one API that serves a given route (a stage may serve several REST APIs,
 * e.g. the companion API of IAM usage tiers).
 */
import type { CallerStack } from '../../local/callers';
import type { ServedStage } from '../../local/serve-stage';

/** The callers' view of the API of `served` whose routes hold `method path` (the first REST API if none is named). */
export function callerStack(served: ServedStage, route?: string): CallerStack {
  if (!served.issuer) throw new Error('the served stage has no built-in issuer');
  const api = route
    ? served.apis.find((a) => a.api.routes.some((r) => `${r.method} ${r.path}` === route))
    : served.api('rest');
  if (!api) throw new Error(`no served API has the route ${route}`);
  return {
    issuer: served.issuer,
    stage: served.stage,
    gateway: { url: api.url },
    region: served.stack.region,
  };
}
