/**
 * An IAM caller end to end on the served app (serveStage): the typed client and the keygate-call command sign with
 * SigV4, the local gateway verifies the signature and the principal's route grants the way API Gateway's
 * AWS_IAM authorization does, and the real model backend lists and runs models for that role.
 */
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_APP_CONFIG } from '../../common/app-config';
import { KeygateApiError, KeygateClient } from '../../client';
import type { LocalIamCredential } from '../../local/gateway/sigv4-check';
import { serveStage } from '../../local/serve-stage';
import type { ServedStage } from '../../local/serve-stage';
import { stageApi } from '../../local/stage-api';
import type { StageApi } from '../../local/stage-api';
import { outputOf } from '../support/child-output';

const STAGE = DEFAULT_APP_CONFIG.stages.dev;
const BIN = path.join(__dirname, '..', '..', 'client', 'bin', 'keygate-call.js');

function keygateCall(args: string[], credential: LocalIamCredential, region: string) {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: {
      PATH: process.env.PATH,
      AWS_ACCESS_KEY_ID: credential.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credential.secretAccessKey,
      AWS_REGION: region,
      AWS_CONFIG_FILE: path.join(__dirname, 'no-such-aws-config'),
      AWS_SHARED_CREDENTIALS_FILE: path.join(__dirname, 'no-such-aws-credentials'),
      AWS_EC2_METADATA_DISABLED: 'true',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return outputOf(child);
}

describe.each(['http', 'rest'] as const)('IAM caller through the local %s API', (apiType) => {
  let served: ServedStage;
  let stack: StageApi;
  beforeAll(async () => {
    served = await serveStage({ stage: STAGE, buildLambdas: false, apiKinds: [apiType] });
    stack = stageApi(served, apiType);
  });
  afterAll(async () => {
    await served?.close();
  });

  const client = (who: 'machine' | 'outsider') =>
    new KeygateClient({ baseUrl: stack.gateway.url, region: stack.region, credentials: stack.iam[who] });

  it('lists the models the role was granted and runs one', async () => {
    const models = await client('machine').listModels();
    expect(models.map((m) => [m.id, m.invoke])).toEqual([
      ['sentiment', 'POST /machine/models/sentiment/invoke'],
      ['keywords', 'POST /machine/models/keywords/invoke'],
    ]);
    const result = await client('machine').invoke<{ keywords: { term: string }[] }>(
      'keywords',
      'Gateways verify signatures; gateways route requests.',
      { topK: 1 },
    );
    expect(result).toMatchObject({ modelId: 'keywords', kind: 'demo' });
    expect(result.output.keywords.map((k) => k.term)).toEqual(['gateways']);
  });

  it('a principal without a grant on the route is refused before the backend', async () => {
    const err = await client('outsider')
      .listModels()
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KeygateApiError);
    expect((err as KeygateApiError).status).toBe(403);
  });

  it('keygate-call signs with credentials from the environment', async () => {
    const url = `${stack.gateway.url}/machine/models/sentiment/invoke`;
    const r = await keygateCall(
      ['POST', url, '--data', '{"input":"really great work"}'],
      stack.iam.machine,
      stack.region,
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ modelId: 'sentiment', output: { label: 'positive' } });
  });
});
