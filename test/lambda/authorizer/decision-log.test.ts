/**
 * The authorizer's log lines have Powertools Logger's shape key for key: the same line written by a real
 * Powertools Logger and by the decision log must have the same keys in the same order.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DECISION_MESSAGE, JWKS_FAILURE_MESSAGE } from '../../../common/decision-log';
import type { LambdaContextInfo, LogLevel } from '../../../lambda/authorizer/decision-log';
import { createDecisionLog } from '../../../lambda/authorizer/decision-log';
import { AUTHORIZER_SERVICE_NAME as SERVICE_NAME } from '../../../common/service-names';
import { captureLogs } from './stdout-capture';

const TRACE = 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1';
const CONTEXT: LambdaContextInfo = {
  functionName: 'keygate-authorizer',
  invokedFunctionArn: 'arn:aws:lambda:eu-west-1:111122223333:function:keygate-authorizer',
  memoryLimitInMB: '256',
  awsRequestId: '9d5f6d1e-2c4b-4e1a-8f3a-0b1c2d3e4f50',
};
const FIELDS = {
  correlation_id: 'Kg-1',
  decision: 'allow',
  reason: 'allowed',
  route: 'GET /models',
  iss: 'https://sso.example.com/realms/keygate',
  kid: 'k1',
  sub: 'alice',
  azp: 'keygate-web',
  durationMs: 0.25,
  cachedClaims: false,
};

function recorder(env: Record<string, string | undefined> = { _X_AMZN_TRACE_ID: TRACE }) {
  const lines: { level: LogLevel; json: Record<string, unknown> }[] = [];
  const log = createDecisionLog({
    env,
    write: (line, level) => lines.push({ level, json: JSON.parse(line) as Record<string, unknown> }),
  });
  return { log, lines };
}

describe('createDecisionLog', () => {
  const saved = process.env._X_AMZN_TRACE_ID;
  beforeEach(() => {
    process.env._X_AMZN_TRACE_ID = TRACE;
  });
  afterEach(() => {
    if (saved === undefined) delete process.env._X_AMZN_TRACE_ID;
    else process.env._X_AMZN_TRACE_ID = saved;
  });

  it.each([
    ['with a Lambda context', CONTEXT],
    ['without one', undefined],
  ])('a decision line has the keys of a Powertools Logger line, in order (%s)', async (_n, context) => {
    // GIVEN the same line from a real Powertools Logger
    const [powertools] = await captureLogs(async () => {
      const logger = new Logger({ serviceName: SERVICE_NAME });
      if (context) logger.addContext({ ...context, functionVersion: '$LATEST' } as never);
      logger.info(DECISION_MESSAGE, FIELDS);
    });
    // WHEN the decision log writes it
    const { log, lines } = recorder();
    log.startInvocation?.(context);
    log.decision({
      requestId: 'Kg-1',
      decision: 'allow',
      reason: 'allowed',
      route: 'GET /models',
      facts: { iss: FIELDS.iss, kid: 'k1', sub: 'alice', azp: 'keygate-web', alg: 'RS256' },
      durationMs: 0.25,
      cached: false,
    });
    // THEN keys and values match (but the timestamp and Powertools' own cold-start bookkeeping)
    const ours = lines[0].json;
    expect(Object.keys(ours)).toEqual(Object.keys(powertools));
    const { timestamp: t1, cold_start: c1, ...restOurs } = ours;
    const { timestamp: t2, cold_start: c2, ...restPowertools } = powertools;
    expect(restOurs).toEqual(restPowertools);
    expect(typeof t1).toBe('string');
    expect(new Date(t1 as string).toISOString()).toBe(t1);
    expect(typeof t2).toBe('string');
    expect(typeof c1).toBe(typeof c2);
  });

  it('marks only the first invocation of the container as a cold start', () => {
    const { log, lines } = recorder();
    for (let i = 0; i < 3; i++) {
      log.startInvocation?.(CONTEXT);
      log.decision({ decision: 'unauthorized', reason: 'token_missing', durationMs: 0.1, cached: false });
    }
    expect(lines.map((l) => l.json.cold_start)).toEqual([true, false, false]);
  });

  it('the JWKS failure line and the configuration error keep the same shape', async () => {
    const [powertools] = await captureLogs(async () => {
      new Logger({ serviceName: SERVICE_NAME }).warn(JWKS_FAILURE_MESSAGE, {
        jwksIssuer: 'https://i',
        reason: 'timeout',
      });
    });
    const { log, lines } = recorder();
    log.jwksFailure('https://i', 'timeout');
    log.configInvalid(['KEYGATE_CONFIG is not set']);
    expect(Object.keys(lines[0].json)).toEqual(Object.keys(powertools));
    expect(lines[0]).toMatchObject({
      level: 'WARN',
      json: { level: 'WARN', message: JWKS_FAILURE_MESSAGE, jwksIssuer: 'https://i' },
    });
    expect(lines[1]).toMatchObject({
      level: 'ERROR',
      json: { level: 'ERROR', reason: 'config_invalid', errors: ['KEYGATE_CONFIG is not set'] },
    });
  });

  it('an internal error is an ERROR line carrying the error class only', () => {
    const { log, lines } = recorder();
    log.decision({
      decision: 'unauthorized',
      reason: 'internal_error',
      durationMs: 1,
      cached: false,
      errorType: 'TypeError',
    });
    expect(lines[0]).toMatchObject({
      level: 'ERROR',
      json: { level: 'ERROR', reason: 'internal_error', errorType: 'TypeError' },
    });
  });

  it('bounds fact values (they are attacker-chosen until verified)', () => {
    const { log, lines } = recorder();
    log.decision({
      decision: 'unauthorized',
      reason: 'issuer_untrusted',
      facts: { iss: 'x'.repeat(5000) },
      durationMs: 1,
      cached: false,
    });
    expect((lines[0].json.iss as string).length).toBe(256);
  });

  it.each([
    ['POWERTOOLS_LOG_LEVEL', 'ERROR', ['ERROR']],
    ['AWS_LAMBDA_LOG_LEVEL', 'WARN', ['WARN', 'ERROR']],
    ['POWERTOOLS_LOG_LEVEL', 'debug', ['INFO', 'WARN', 'ERROR']],
  ])('honours %s=%s', (name, value, levels) => {
    const { log, lines } = recorder({ [name]: value });
    log.decision({ decision: 'allow', reason: 'allowed', durationMs: 1, cached: true });
    log.jwksFailure('https://i', 'timeout');
    log.configInvalid(['x']);
    expect(lines.map((l) => l.level)).toEqual(levels);
  });

  it('writes to stdout, and ERROR lines to stderr, one JSON object per line', async () => {
    const chunks: { stream: string; text: string }[] = [];
    const originals = [process.stdout.write, process.stderr.write];
    process.stdout.write = ((c: string) => (
      chunks.push({ stream: 'out', text: c }),
      true
    )) as typeof process.stdout.write;
    process.stderr.write = ((c: string) => (
      chunks.push({ stream: 'err', text: c }),
      true
    )) as typeof process.stderr.write;
    try {
      const log = createDecisionLog();
      log.decision({ decision: 'allow', reason: 'allowed', durationMs: 1, cached: true });
      log.configInvalid(['x']);
    } finally {
      [process.stdout.write, process.stderr.write] = originals as [
        typeof process.stdout.write,
        typeof process.stderr.write,
      ];
    }
    expect(chunks.map((c) => c.stream)).toEqual(['out', 'err']);
    for (const c of chunks) {
      expect(c.text.endsWith('\n')).toBe(true);
      expect(c.text.trimEnd()).not.toContain('\n');
      expect(JSON.parse(c.text)).toHaveProperty('service', SERVICE_NAME);
    }
  });
});
