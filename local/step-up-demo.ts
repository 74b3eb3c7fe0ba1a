/**
 * The demo's step-up section (docs/step-up.md): one person calls a route that demands a higher level of
 * assurance and a recent sign-in, first with the token of an ordinary sign-in (refused: 403,
 * `step_up_required`, the RFC 9470 challenge in `WWW-Authenticate`), then with the token of a stepped-up
 * one (allowed). The challenge header exists on REST APIs only (the ACCESS_DENIED gateway response), so
 * this runs on a REST stack whatever `--api` says, and prints what an HTTP API answers instead.
 *
 * A stage without a step-up route is shown with its invoke route plus EXAMPLE_STEP_UP (the realm's
 * highest level within 15 minutes), said so in the output.
 */
import type { AppRouteConfig, StageConfig } from '../common/app-config';
import { meetsRequirement } from '../common/route-model';
import type { StepUpRequirement } from '../common/step-up';
import { acrValuesFor, withoutStepUp } from '../common/step-up';
import { stagePrincipals } from './access-matrix';
import { call, userTokens } from './callers';
import { serveDemoStage } from './demo-app';
import type { DemoContext } from './demo-app';

/** 15 minutes, as in docs/step-up.md's fine-tune example. */
const EXAMPLE_MAX_AGE_SECONDS = 900;

/** The stage's step-up route, or its invoke route with the realm's highest level added (undefined: none). */
export function stepUpDemoRoute(
  stage: StageConfig,
): { stage: StageConfig; route: AppRouteConfig; stepUp: StepUpRequirement; example: boolean } | undefined {
  const own = stage.routes.find((r) => r.auth === 'keycloak' && r.requirement?.stepUp !== undefined);
  if (own?.requirement?.stepUp) return { stage, route: own, stepUp: own.requirement.stepUp, example: false };
  const levels = Object.values(stage.keycloak.acrLoaMap ?? {});
  const invoke = stage.routes.find(
    (r) => r.auth === 'keycloak' && r.method === 'POST' && r.path.includes('{modelId}') && r.stream !== true,
  );
  if (levels.length < 2 || !invoke) return undefined;
  const stepUp = { minLoa: Math.max(...levels), maxAgeSeconds: EXAMPLE_MAX_AGE_SECONDS };
  const route = { ...invoke, requirement: { ...invoke.requirement, stepUp } };
  const routes = stage.routes.map((r) => (r === invoke ? route : r));
  return { stage: { ...stage, routes }, route, stepUp, example: true };
}

export async function stepUpDemo(stage: StageConfig, ctx: DemoContext): Promise<void> {
  const found = stepUpDemoRoute(stage);
  if (!found) {
    console.log(
      '\nStep-up: the stage has no route with requirement.stepUp and no keycloak.acrLoaMap of two levels (docs/step-up.md).',
    );
    return;
  }
  const { route, stepUp, example } = found;
  // The person the route's entitlements admit: only the sign-in stands between them and the route.
  const model = stage.models[0]?.id ?? 'demo';
  const person = stagePrincipals(stage).find(
    (p) =>
      !p.name.startsWith('service-account-') &&
      meetsRequirement(withoutStepUp(route.requirement), p.principal, { modelId: model }),
  );
  if (!person) return;
  const reasons = new Map<string, string>();
  // The result cache off: the challenge names this route's own requirement (docs/step-up.md).
  const stack = await serveDemoStage(ctx, found.stage, 'rest', {
    cacheTtlSeconds: 0,
    onRequest: (_api, r) => reasons.set(r.requestId, r.authorizerReason ?? r.reason),
  });
  try {
    const path = route.path.replace('{modelId}', model).replace(/\{[^}]+\}/g, 'x');
    const body = JSON.stringify({ input: 'I love this great product' });
    const show = async (label: string, token: string): Promise<string> => {
      const res = await call(stack, route.method, path, { token, body });
      const id = String(res.headers['x-amzn-requestid'] ?? res.headers['apigw-requestid'] ?? '');
      const challenge = res.headers['www-authenticate'];
      return (
        `\n  ${label}: ${res.status} ${reasons.get(id) ?? ''}`.trimEnd() +
        (challenge ? `\n    WWW-Authenticate: ${String(challenge)}` : '')
      );
    };
    const lines: string[] = [];
    lines.push(
      await show(`${person.name}, ordinary sign-in`, (await userTokens(stack, person.name)).access_token),
    );
    // Only the built-in issuer signs a stepped-up token on request; a real Keycloak steps up in the browser.
    const mint = stack.issuer.mint;
    const top = acrValuesFor(stage.keycloak.acrLoaMap, stepUp.minLoa ?? 0)[0];
    if (mint && top !== undefined) {
      const token = await mint({
        username: person.name,
        claims: { acr: top, amr: [...(stepUp.amr ?? []), 'pwd'], auth_time: Math.floor(Date.now() / 1000) },
      });
      lines.push(await show(`${person.name}, stepped up just now (acr ${top})`, token));
    } else {
      lines.push(
        '\n  a stepped-up sign-in: open /auth/login?acr_values=… in a browser (Keycloak asks for the next level)',
      );
    }
    console.log(
      `\nStep-up (REST API${example ? `; the stage has no step-up route, so its ${route.method} ${route.path} with an example demand` : ''}): ` +
        `${route.method} ${path} needs ${describe(stepUp)}.${lines.join('')}` +
        '\n  An HTTP API refuses the same way (403, {"message":"Forbidden"}) but cannot send the challenge header.',
    );
  } finally {
    await stack.close();
  }
}

function describe(s: StepUpRequirement): string {
  return [
    s.minLoa !== undefined ? `level ${s.minLoa}` : '',
    s.amr?.length ? `methods ${s.amr.join(', ')}` : '',
    s.maxAgeSeconds !== undefined ? `a sign-in within ${s.maxAgeSeconds} s` : '',
  ]
    .filter(Boolean)
    .join(', ');
}
