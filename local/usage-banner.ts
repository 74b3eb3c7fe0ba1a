/** `npm start`'s lines on the usage plans it enforces, and the X-API-Key the IAM test caller sends. */
import type { ServedUsage } from './assembly/serve-usage-plans';
import { LOCAL_MACHINE_ROLE } from './stage-assembly';

export function usageBannerLines(usage: ServedUsage): string[] {
  if (usage.plans.length === 0) return [];
  const machineKey = usage.keyForRole(LOCAL_MACHINE_ROLE);
  const width = Math.max(...usage.plans.map((p) => p.name.length)) + 2;
  return [
    'Usage plans (REST API; over a limit the gateway answers 429 as API Gateway does):',
    ...usage.plans.map(
      (p) =>
        `  ${p.name.padEnd(width)}${p.throttle.rateLimit}/s, burst ${p.throttle.burstLimit}` +
        `${p.quota ? `, ${p.quota.limit} per ${p.quota.period}` : ''}` +
        `${p.callerKeyTier ? ' (a key per caller)' : ''}${p.problem ? `  NOT ENFORCED: ${p.problem}` : ''}`,
    ),
    ...(machineKey ? [`  the IAM test caller sends X-API-Key: ${machineKey}`] : []),
  ];
}
