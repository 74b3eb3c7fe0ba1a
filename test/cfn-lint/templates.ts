/**
 * Every template Keygate's tests synthesize for CloudFormation's linter: the default app, each stage
 * example of docs/configuration.md, two fully configured stages, a per-caller tier stage, an IAM tier
 * stage, and the README's consumer example app. Each is
 * synthesized in-process (the consumer app from the README's own code block), so what is linted is
 * exactly what `cdk synth` writes.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { AppRouteConfig, StageConfig } from '../../common/app-config';
import { COGNITO_FEDERATION_ISSUER, DEFAULT_APP_CONFIG } from '../../common/app-config';
import { MutualTlsDomain } from '../../lib/api/mutual-tls-domain';
import { buildKeygateApp } from '../../lib/app/build-app';
import { testCa } from '../support/test-pki';

const ROOT = path.join(__dirname, '..', '..');

export interface SynthesizedTemplate {
  /** A short name, used as the file name and in test titles. */
  readonly name: string;
  /** The region cfn-lint checks the template for. */
  readonly region: string;
  /** The template file in the cloud assembly. */
  readonly file: string;
}

/** The code block that follows `heading` in a documentation file (the first fence of `lang` after it). */
export function docBlock(file: string, heading: string, lang: 'json' | 'ts'): string {
  const text = fs.readFileSync(path.join(ROOT, file), 'utf8');
  const at = text.indexOf(heading);
  if (at < 0) throw new Error(`${file}: heading '${heading}' not found`);
  const open = text.indexOf(`\`\`\`${lang}\n`, at);
  const close = text.indexOf('\n```', open + 4);
  if (open < 0 || close < 0) throw new Error(`${file}: no ${lang} block after '${heading}'`);
  return text.slice(open + lang.length + 4, close + 1);
}

/** The documented stage examples: the cdk.json of docs/configuration.md, and its `web` stage. */
export function readmeStages(): Record<string, StageConfig> {
  const cdkJson = JSON.parse(docBlock('docs/configuration.md', '# Configuration reference', 'json')) as {
    context: { keygate: { stages: Record<string, StageConfig> } };
  };
  // The sign-in example is a `"web": { ... }` member of `stages`.
  const web = JSON.parse(
    `{${docBlock('docs/configuration.md', '## Browser sign-in in a stage', 'json')}}`,
  ) as Record<string, StageConfig>;
  return { ...cdkJson.context.keygate.stages, ...web };
}

const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:keygate/prod/keycloak-AbCdEf';

const FULL_ISSUER = 'https://sso.example.com/realms/ml';

/** With Cognito federation two issuers are trusted: every keycloak route names both. */
function scopedToBoth(routes: readonly AppRouteConfig[]): AppRouteConfig[] {
  return routes.map((r) =>
    r.auth === 'keycloak'
      ? { ...r, requirement: { ...r.requirement, issuers: [FULL_ISSUER, COGNITO_FEDERATION_ISSUER] } }
      : r,
  );
}

/**
 * Every optional part at once, on the REST API (Cognito user-pool routes and cross-account callers are
 * REST-only): Cognito federation, browser sign-in with a confidential client, a cross-account machine
 * caller, a Cognito user-pool route, alarms by email, Bedrock and SageMaker models.
 */
export const FULL_REST_STAGE: StageConfig = {
  account: '111122223333',
  region: 'eu-west-1',
  keycloak: {
    issuer: FULL_ISSUER,
    apiClientId: 'keygate-api',
    peopleClientId: 'keygate-web',
    serviceAccounts: [{ clientId: 'batch-scorer', clientRoles: ['model-user'] }],
    algorithms: ['RS256', 'ES256'],
  },
  cognitoFederation: {
    domainPrefix: 'keygate-full-example',
    keycloakClientId: 'cognito-broker',
    clientSecretName: SECRET_ARN,
    callbackUrls: ['https://app.example.com/callback'],
    logoutUrls: ['https://app.example.com/'],
  },
  browserSignIn: {
    clientId: 'keygate-browser',
    clientSecretName: 'keygate/prod/browser-client',
    allowedOrigins: ['https://app.example.com'],
  },
  apis: { http: false, rest: true },
  routes: [
    ...scopedToBoth(DEFAULT_APP_CONFIG.stages.dev.routes),
    { method: 'GET', path: '/cognito/profile', auth: 'cognito-user-pool' },
  ],
  models: [
    { id: 'sentiment', kind: 'demo', demo: 'sentiment' },
    { id: 'haiku', kind: 'bedrock', bedrockModelId: 'anthropic.claude-3-haiku-20240307-v1:0' },
    { id: 'summarize', kind: 'sagemaker', sagemakerEndpointName: 'summarizer-endpoint' },
  ],
  machinePrincipals: [
    { roleArn: 'arn:aws:iam::111122223333:role/batch', routes: ['GET /machine/models'] },
    {
      roleArn: 'arn:aws:iam::444455556666:role/partner',
      routes: ['POST /machine/models/{modelId}/invoke'],
      crossAccount: true,
    },
  ],
  cors: { allowOrigins: ['https://app.example.com'] },
  throttling: { rateLimit: 20, burstLimit: 40 },
  alarmEmail: 'ops@example.com',
  logRetentionDays: 90,
};

/** The same on both API types, without the REST-only parts, with simple HTTP answers. */
export const FULL_BOTH_STAGE: StageConfig = {
  ...withoutAccount(FULL_REST_STAGE),
  apis: { http: true, rest: true },
  routes: scopedToBoth(DEFAULT_APP_CONFIG.stages.dev.routes),
  machinePrincipals: [{ roleArn: 'arn:aws:iam::111122223333:role/batch', routes: ['GET /machine/models'] }],
  authorizer: { responseMode: 'simple', cacheTtlSeconds: 0, clockSkewSeconds: 10 },
};

/** The default stage with a per-caller tier (each caller an API key of its own, registered at run time). */
export const PER_CALLER_TIER_STAGE: StageConfig = {
  ...DEFAULT_APP_CONFIG.stages.dev,
  usageTiers: {
    tiers: {
      standard: { rateLimit: 5, burstLimit: 10, quota: { limit: 1000, period: 'DAY' }, perCaller: true },
      batch: { rateLimit: 20, burstLimit: 40 },
    },
    defaultTier: 'standard',
    assignments: [{ clientRole: 'keygate-api:model-user', tier: 'batch' }],
  },
};

const SCORER_ROLE = 'arn:aws:iam::111122223333:role/batch-scorer';

/**
 * IAM callers under usage tiers: the REST API alone, two machine principals, one of them assigned to a
 * per-caller tier (a key of its own), the other in the default (pooled) tier; the IAM routes on the
 * companion API with key source HEADER.
 */
export const IAM_TIER_STAGE: StageConfig = {
  ...DEFAULT_APP_CONFIG.stages.dev,
  account: '111122223333',
  apis: { http: false, rest: true },
  machinePrincipals: [
    { roleArn: SCORER_ROLE, routes: ['GET /machine/models', 'POST /machine/models/{modelId}/invoke'] },
    { roleArn: 'arn:aws:iam::111122223333:role/lister', routes: ['GET /machine/models'] },
  ],
  usageTiers: {
    tiers: {
      standard: { rateLimit: 5, burstLimit: 10, quota: { limit: 1000, period: 'DAY' } },
      batch: { rateLimit: 20, burstLimit: 40, perCaller: true },
    },
    defaultTier: 'standard',
    assignments: [
      { clientRole: 'keygate-api:model-user', tier: 'batch' },
      { roleArn: SCORER_ROLE, tier: 'batch' },
    ],
  },
};

/** The stage as an environment-agnostic one (no account). */
function withoutAccount(stage: StageConfig): StageConfig {
  const copy: { -readonly [K in keyof StageConfig]: StageConfig[K] } = { ...stage };
  delete copy.account;
  return copy;
}

function synthStage(outdir: string, name: string, stage: StageConfig | undefined): SynthesizedTemplate {
  const app = new App({
    outdir: path.join(outdir, name),
    context: stage ? { keygate: { stages: { [name]: stage } } } : {},
  });
  const stack = buildKeygateApp(app);
  const assembly = app.synth();
  return {
    name,
    region: stage?.region ?? DEFAULT_APP_CONFIG.stages.dev.region,
    file: assembly.getStackArtifact(stack.artifactId).templateFullPath,
  };
}

/**
 * The README's consumer example app, taken from its code block, with `keygate` pointing at this
 * checkout's library. It is written under `<repo>/tmp/` (git-ignored) so that its imports resolve
 * against this repository's node_modules, and synthesized by importing it with CDK_OUTDIR set, as the
 * CDK CLI runs an app.
 */
export async function synthReadmeConsumerApp(outdir: string): Promise<SynthesizedTemplate> {
  const code = docBlock('README.md', '## A complete example', 'ts');
  if (!code.includes("from 'keygate';")) throw new Error("README consumer app: no import from 'keygate'");
  const dir = fs.mkdtempSync(path.join(ROOT, 'tmp', 'consumer-app-'));
  const file = path.join(dir, 'app.ts');
  fs.writeFileSync(file, code.replace("from 'keygate';", `from '${path.join(ROOT, 'lib', 'index')}';`));
  const out = path.join(outdir, 'readme-consumer-app');
  const previous = process.env.CDK_OUTDIR;
  process.env.CDK_OUTDIR = out;
  try {
    await import(file);
  } finally {
    if (previous === undefined) delete process.env.CDK_OUTDIR;
    else process.env.CDK_OUTDIR = previous;
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const manifest = JSON.parse(fs.readFileSync(path.join(out, 'manifest.json'), 'utf8')) as {
    artifacts: Record<string, { type: string; properties?: { templateFile?: string } }>;
  };
  const stacks = Object.values(manifest.artifacts).filter((a) => a.type === 'aws:cloudformation:stack');
  if (stacks.length !== 1) throw new Error(`README consumer app: expected 1 stack, got ${stacks.length}`);
  // The app is environment-agnostic; CloudFormation's region for the check is the stages' own.
  return {
    name: 'readme-consumer-app',
    region: 'eu-west-1',
    file: path.join(out, stacks[0].properties!.templateFile!),
  };
}

/**
 * MutualTlsDomain, which the app does not use: a REST API stage mapped under a base path of a domain whose
 * truststore is a file asset, and an HTTP API mapped at the root of a domain whose truststore is in a
 * bucket.
 */
export async function synthMutualTlsDomains(outdir: string): Promise<SynthesizedTemplate> {
  const name = 'mutual-tls-domains';
  const region = 'eu-west-1';
  const app = new App({ outdir: path.join(outdir, name) });
  const stack = new Stack(app, 'KeygateMutualTls', { env: { account: '111122223333', region } });
  const truststore = path.join(outdir, 'truststore.pem');
  fs.writeFileSync(truststore, (await testCa('Keygate partner CA')).cert);
  const certificate = (id: string, uuid: string) =>
    acm.Certificate.fromCertificateArn(stack, id, `arn:aws:acm:${region}:111122223333:certificate/${uuid}`);
  const rest = new apigw.RestApi(stack, 'Rest', { deployOptions: { stageName: 'v1' } });
  rest.root.addMethod('GET', new apigw.MockIntegration());
  new MutualTlsDomain(stack, 'RestMtls', {
    domainName: 'partners.example.com',
    certificate: certificate('RestCert', '11111111-2222-3333-4444-555555555555'),
    truststoreFile: truststore,
  }).mapRestApi(rest, rest.deploymentStage, 'models');
  const http = new apigwv2.HttpApi(stack, 'Http');
  new MutualTlsDomain(stack, 'HttpMtls', {
    domainName: 'partners-http.example.com',
    certificate: certificate('HttpCert', '66666666-7777-8888-9999-000000000000'),
    truststoreBucket: s3.Bucket.fromBucketName(stack, 'Truststores', 'keygate-truststores'),
    truststoreKey: 'partners.pem',
  }).mapHttpApi(http);
  const assembly = app.synth();
  return { name, region, file: assembly.getStackArtifact(stack.artifactId).templateFullPath };
}

/** Synthesizes every template into `outdir` (one cloud assembly each). */
export async function synthesizeAll(outdir: string): Promise<SynthesizedTemplate[]> {
  fs.mkdirSync(path.join(ROOT, 'tmp'), { recursive: true });
  const templates = [synthStage(outdir, 'default-app', undefined)];
  for (const [name, stage] of Object.entries(readmeStages())) {
    templates.push(synthStage(outdir, `readme-${name}`, stage));
  }
  templates.push(synthStage(outdir, 'full-rest', FULL_REST_STAGE));
  templates.push(synthStage(outdir, 'full-both', FULL_BOTH_STAGE));
  templates.push(synthStage(outdir, 'per-caller-tiers', PER_CALLER_TIER_STAGE));
  templates.push(synthStage(outdir, 'iam-tiers', IAM_TIER_STAGE));
  templates.push(await synthReadmeConsumerApp(outdir));
  templates.push(await synthMutualTlsDomains(outdir));
  return templates;
}
