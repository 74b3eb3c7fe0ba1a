/**
 * The demo's usage-tier section: one caller's burst against its tier on a local REST API, ending in API
 * Gateway's own 429. Usage plans exist on REST APIs only, so this runs on a REST stack whatever `--api`
 * says. A stage without `usageTiers` is shown with EXAMPLE_TIERS, said so in the output.
 */
import type { StageConfig } from '../common/app-config';
import type { UsageTiersConfig } from '../common/usage-tiers';
import { tierForPrincipal } from '../common/usage-tiers';
import { stagePrincipals } from './access-matrix';
import { call, userTokens } from './callers';
import { startLocalStack } from './gateway/local-stack';
import type { DemoContext } from './demo-app';

/** A tier small enough to run out of in a few requests. */
export const EXAMPLE_TIERS: UsageTiersConfig = {
  tiers: { free: { rateLimit: 1, burstLimit: 3, quota: { limit: 1000, period: 'DAY' } } },
  defaultTier: 'free',
};

export async function quotaDemo(stage: StageConfig, ctx: DemoContext): Promise<void> {
  const tiers = stage.usageTiers ?? EXAMPLE_TIERS;
  const people = stagePrincipals(stage).filter((p) => !p.name.startsWith('service-account-'));
  const route = stage.routes.find(
    (r) => r.auth === 'keycloak' && r.method === 'GET' && !r.path.includes('{'),
  );
  const person = people[0];
  if (!route || !person) return;
  const tierName = tierForPrincipal(person.principal, tiers.assignments ?? [], tiers.defaultTier);
  const tier = tiers.tiers[tierName];
  const reasons = new Map<string, string>();
  // The gateway's clock stands still through the burst: no token is refilled between requests, so the
  // burst is exactly `burstLimit` however slow the machine (the buckets refill at the tier's rate).
  const frozen = Date.now();
  // The in-process stack, which enforces usage plans, until the assembly path does.
  const stack = await startLocalStack({
    ...(ctx.keycloak ? { keycloak: ctx.keycloak.options, passwords: ctx.keycloak.passwords } : {}),
    stage: { ...stage, usageTiers: tiers },
    apiType: 'rest',
    now: () => frozen,
    onRequest: (r) => reasons.set(r.requestId, r.reason),
  });
  try {
    const token = (await userTokens(stack, person.name)).access_token;
    const answers: string[] = [];
    let body = '';
    for (let i = 0; i < tier.burstLimit + 2; i++) {
      const res = await call(stack, route.method, route.path, { token });
      answers.push(String(res.status));
      if (res.status === 429) body = JSON.stringify(await res.json());
    }
    console.log(
      `\nUsage tiers (REST API usage plans${stage.usageTiers ? '' : '; the stage declares none, so an example tier'}): ` +
        `${person.name} is in tier '${tierName}' (${tier.rateLimit}/s, burst ${tier.burstLimit}` +
        `${tier.quota ? `, ${tier.quota.limit} per ${tier.quota.period}` : ''}).` +
        `\n  ${answers.length} × ${route.method} ${route.path} at once → ${runs(answers)}${body ? `  ${body}` : ''}`,
    );
  } finally {
    await stack.close();
  }
}

/** `200 200 200 429 429`, or `40 × 200, 429 429` when a status repeats more than three times. */
export function runs(statuses: readonly string[]): string {
  const out: string[] = [];
  for (let i = 0; i < statuses.length;) {
    let j = i;
    while (j < statuses.length && statuses[j] === statuses[i]) j++;
    out.push(j - i > 3 ? `${j - i} × ${statuses[i]},` : statuses.slice(i, j).join(' '));
    i = j;
  }
  return out.join(' ').replace(/,$/, '');
}
