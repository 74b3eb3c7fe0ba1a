/**
 * The consumer apps: CDK apps outside this repository that install the packed package. The README's
 * complete example is read from README.md itself, so what the test runs is what the README shows.
 */

/** The README's complete example, as written there: `app.ts` and its `cdk.json`. */
export interface ReadmeExample {
  readonly appTs: string;
  readonly cdkJson: string;
}

/**
 * Reads the complete example out of README.md: the `ts` block after "`app.ts`:" and the `json` block after
 * "`cdk.json`:" in the section "A complete example". Throws when either is missing, so a README edit that
 * drops them fails the package test rather than testing nothing.
 */
export function readmeExample(readme: string): ReadmeExample {
  const section = readme.slice(readme.indexOf('## A complete example'));
  const block = (label: string, lang: string): string => {
    const at = section.indexOf(label);
    const open = `\`\`\`${lang}\n`;
    const from = section.indexOf(open, at);
    const to = section.indexOf('\n```\n', from);
    if (at < 0 || from < 0 || to < 0) throw new Error(`README.md has no ${lang} block after ${label}`);
    return section.slice(from + open.length, to + 1);
  };
  return { appTs: block('`app.ts`:', 'ts'), cdkJson: block('`cdk.json`:', 'json') };
}

/**
 * A second app of the same consumer with every other construct that runs a Lambda function, so the test
 * sees each function deployed from the bundle the package ships.
 */
export const EVERY_FUNCTION_APP_TS = `import { App, Stack } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { BrowserSignIn, KeycloakFederatedUserPool, Model, ModelBackend } from 'keygate';

const app = new App();
const stack = new Stack(app, 'Everything');
new ModelBackend(stack, 'Models', { models: [Model.demo('sentiment', 'sentiment')] });
new KeycloakFederatedUserPool(stack, 'Federation', {
  keycloakIssuerUrl: 'https://sso.example.com/realms/shop',
  keycloakClientId: 'cognito',
  keycloakClientSecret: secretsmanager.Secret.fromSecretNameV2(stack, 'KeycloakSecret', 'shop/cognito-client'),
  domainPrefix: 'shop-example',
  callbackUrls: ['https://app.example.com/callback'],
});
new BrowserSignIn(stack, 'SignIn', { issuer: 'https://sso.example.com/realms/shop', clientId: 'shop-web' });
app.synth();
`;

/**
 * A second app of the consumer: a REST API with a per-model route bound to the model in the path, an IAM
 * route and a Python backend, for `keygate local` to serve.
 */
export const SHOP_APP_TS = `import { App, Stack } from 'aws-cdk-lib';
import { HttpMethod } from 'aws-cdk-lib/aws-apigatewayv2';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { KeygateAuthorizer, Requirement, RouteAuth, SecuredRestApi, TrustedIssuer } from 'keygate';

const app = new App();
const stack = new Stack(app, 'Shop');
const models = new lambda.Function(stack, 'Models', {
  runtime: lambda.Runtime.NODEJS_22_X,
  handler: 'index.handler',
  code: lambda.Code.fromInline(
    'exports.handler = async (event) => ({ statusCode: 200, body: JSON.stringify({ caller: event.requestContext.authorizer.sub, model: event.pathParameters.modelId }) });',
  ),
});
const report = new lambda.Function(stack, 'Report', {
  runtime: lambda.Runtime.PYTHON_3_12,
  handler: 'index.handler',
  code: lambda.Code.fromInline('def handler(event, context):\\n    return {"statusCode": 200}\\n'),
});
new SecuredRestApi(stack, 'Api', {
  authorizer: new KeygateAuthorizer(stack, 'Authorizer', {
    issuers: [TrustedIssuer.keycloakRealm({ issuerUrl: 'https://sso.example.com/realms/shop', allowedClients: ['shop-web'] })],
  }),
  routes: [
    {
      method: HttpMethod.POST,
      path: '/models/{modelId}/invoke',
      backend: models,
      auth: RouteAuth.keycloak(Requirement.anyOf({ realmRoles: ['model:{modelId}:invoke'] })),
    },
    { method: HttpMethod.GET, path: '/machine/models', backend: models, auth: RouteAuth.iam() },
    { method: HttpMethod.GET, path: '/report', backend: report, auth: RouteAuth.keycloak() },
  ],
});
app.synth();
`;

/**
 * Run in the consumer folder: serves an assembly with \`keygate/local\` and calls it as the test says
 * (\`orders\` for the README app, \`shop\` for the REST app), printing what it got as JSON.
 */
export const LOCAL_CLIENT_TS = `import { startKeygateLocal } from 'keygate/local';
import type { KeygateLocalRequest } from 'keygate/local';

const [assembly, mode] = process.argv.slice(2);

async function call(url: string, token?: string, method = 'GET'): Promise<[number, string]> {
  const res = await fetch(url, { method, headers: token ? { authorization: 'Bearer ' + token } : {} });
  return [res.status, await res.text()];
}

async function main(): Promise<void> {
  const requests: KeygateLocalRequest[] = [];
  const local = await startKeygateLocal({ app: assembly, onRequest: (r) => requests.push(r) });
  const out: Record<string, unknown> = { apis: local.apis.map((a) => a.kind + ' ' + a.name) };
  try {
    const issuer = local.issuer!;
    if (mode === 'orders') {
      const granted = await issuer.mint({ username: 'granted' });
      const plain = await issuer.mint({ username: 'plain' });
      out.sub = JSON.parse(Buffer.from(granted.split('.')[1], 'base64url').toString()).sub;
      out.calls = [];
      for (const api of local.apis) {
        (out.calls as unknown[]).push([
          await call(api.url + '/orders'),
          await call(api.url + '/orders', plain),
          await call(api.url + '/orders', granted),
        ]);
      }
    } else {
      const token = await issuer.mint({ username: 'plain', claims: { realm_access: { roles: ['model:a:invoke'] } } });
      const url = local.apis[0].url;
      out.calls = [
        await call(url + '/models/a/invoke', token, 'POST'),
        await call(url + '/models/b/invoke', token, 'POST'),
        await call(url + '/machine/models'),
        await call(url + '/report', token),
      ];
      out.routes = local.apis[0].routes;
    }
  } finally {
    await local.close();
  }
  out.requests = requests.map((r) => [r.status, r.reason, r.cacheHit]);
  process.stdout.write(JSON.stringify(out));
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
`;

/** Compiler settings of the consumer app: a typical CDK app's, type-checked against the package's .d.ts. */
export const CONSUMER_TSCONFIG = {
  compilerOptions: {
    target: 'ES2022',
    module: 'nodenext',
    moduleResolution: 'nodenext',
    lib: ['es2022'],
    types: ['node'],
    strict: true,
    skipLibCheck: true,
    esModuleInterop: true,
    // node_modules/aws-cdk-lib is a link to an installed copy; keep resolving through the link.
    preserveSymlinks: true,
  },
  files: ['app.ts', 'every-function.ts', 'shop.ts', 'local-client.ts'],
};

/**
 * Run in the consumer folder with the same Node.js flags and environment as the app: reports whether
 * esbuild can be found the ways CDK's NodejsFunction looks for it (module resolution from the app and
 * from aws-cdk-lib, and a command on PATH).
 */
export const ESBUILD_PROBE_CJS = `'use strict';
const { spawnSync } = require('node:child_process');
const path = require('node:path');
const tryResolve = (from) => {
  try {
    return require.resolve('esbuild', { paths: [from] });
  } catch {
    return null;
  }
};
const cdkNodejs = path.dirname(require.resolve('aws-cdk-lib/aws-lambda-nodejs'));
const command = spawnSync('esbuild', ['--version'], { encoding: 'utf8' });
process.stdout.write(
  JSON.stringify({
    fromApp: tryResolve(__dirname),
    fromAwsCdkLib: tryResolve(cdkNodejs),
    command: command.error ? null : command.stdout.trim(),
  }),
);
`;
