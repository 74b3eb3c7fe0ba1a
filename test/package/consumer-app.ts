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
  files: ['app.ts', 'every-function.ts'],
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
