/**
 * The AWS SDK v3 the Lambda Node.js runtime provides to every function: Keygate's bundles (and many others)
 * leave `@aws-sdk/*` out and `require` the runtime's copy, which Lambda puts on NODE_PATH
 * (https://docs.aws.amazon.com/lambda/latest/dg/lambda-nodejs.html, "Using the SDK for JavaScript v3 in
 * your handler"; NODE_PATH among the reserved variables,
 * https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html). Locally, the function
 * processes get a NODE_PATH folder holding `@aws-sdk` alone (a link to the installed one), so they find
 * the SDK as on Lambda and nothing else the gateway has installed: a function that forgets to bundle one
 * of its own dependencies fails here as it would when deployed.
 */
import { existsSync, mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The module every stack with tables needs; the rest of `@aws-sdk` is found beside it when installed. */
export const DYNAMODB_CLIENT_MODULE = '@aws-sdk/client-dynamodb';

let folder: string | null | undefined;

/**
 * A folder to put on the functions' NODE_PATH, holding `@aws-sdk` (the installed scope, found from this
 * module: the package's own node_modules, or the user's project when the published bundle runs); undefined
 * when the SDK is not installed.
 */
export function runtimeSdkFolder(): string | undefined {
  if (folder !== undefined) return folder ?? undefined;
  let resolved: string;
  try {
    resolved = require.resolve(DYNAMODB_CLIENT_MODULE);
  } catch {
    folder = null;
    return undefined;
  }
  // .../node_modules/@aws-sdk/client-dynamodb/dist-cjs/index.js -> .../node_modules/@aws-sdk
  const at = resolved.lastIndexOf(`${join('node_modules', '@aws-sdk')}`);
  if (at < 0) {
    folder = null;
    return undefined;
  }
  const scope = resolved.slice(0, at + join('node_modules', '@aws-sdk').length);
  const dir = mkdtempSync(join(tmpdir(), 'keygate-local-sdk-'));
  symlinkSync(scope, join(dir, '@aws-sdk'), 'dir');
  folder = existsSync(join(dir, DYNAMODB_CLIENT_MODULE)) ? dir : null;
  return folder ?? undefined;
}

/** The functions' NODE_PATH for the runtime's SDK, when it is installed. */
export function runtimeSdkEnvironment(): Record<string, string> {
  const dir = runtimeSdkFolder();
  return dir ? { NODE_PATH: dir } : {};
}
