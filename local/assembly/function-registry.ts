/**
 * The stack's functions as the gateway calls them: each started in a process of its own on its first call
 * (function-process.ts), with the environment Lambda would give it locally.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AUTHORIZER_CONFIG_ENV } from '../../common/authorizer-config';
import { SIGN_IN_CONFIG_ENV } from '../../common/function-env';
import type { LambdaFunction, StreamingLambdaFunction } from '../gateway/local-gateway';
import type { AssemblyFunction, AssemblyStack } from './assembly-model';
import { startFunctionProcess } from './function-process';
import type { FunctionProcess, FunctionProcessOptions } from './function-process';
import type { LocalTrust } from './local-trust';
import { BACKCHANNEL_LOGOUT_CONFIG_ENV } from '../../common/back-channel-logout';
import { localLogoutConfig } from './local-logout-config';

export interface FunctionRegistry {
  invoke(fn: AssemblyFunction): LambdaFunction;
  invokeStream(fn: AssemblyFunction): StreamingLambdaFunction;
  /** Stops every function process. */
  close(): void;
}

export interface FunctionEnvironmentOptions {
  /** Variables set in every function's environment, over the template's values and stand-ins. */
  readonly environment?: Readonly<Record<string, string>>;
  /** Print the functions' own output. @default false */
  readonly verbose?: boolean;
  /** Receives what each function writes to stdout (its log lines). */
  readonly onFunctionLog?: (fn: AssemblyFunction, text: string) => void;
}

export function functionRegistry(
  stack: AssemblyStack,
  trust: LocalTrust,
  options: FunctionEnvironmentOptions,
): FunctionRegistry {
  const processes = new Map<string, FunctionProcess>();
  const processOf = (fn: AssemblyFunction): FunctionProcess => {
    let p = processes.get(fn.id);
    if (!p) processes.set(fn.id, (p = startFunctionProcess(processOptions(fn, stack, trust, options))));
    return p;
  };
  return {
    invoke: (fn) => (event) => processOf(fn).invoke(event),
    invokeStream: (fn) => (event, responseStream) => processOf(fn).invokeStream(event, responseStream),
    close: () => processes.forEach((p) => p.close()),
  };
}

/**
 * A function's environment: the template's literal values, a stand-in `local-<NAME>` for each value the
 * template only resolves at deploy time (a reference, a secret), the user's overrides, and Lambda's own
 * variables. An authorizer's Keygate config trusts the local realms.
 */
function processOptions(
  fn: AssemblyFunction,
  stack: AssemblyStack,
  trust: LocalTrust,
  options: FunctionEnvironmentOptions,
): FunctionProcessOptions {
  const environment: Record<string, string> = {
    ...Object.fromEntries(fn.unresolvedEnvironment.map((n) => [n, `local-${n}`])),
    ...fn.environment,
    AWS_REGION: stack.region,
    AWS_DEFAULT_REGION: stack.region,
    AWS_LAMBDA_FUNCTION_NAME: fn.id,
    AWS_LAMBDA_FUNCTION_TIMEOUT: String(fn.timeoutSeconds),
    ...(trust.caFile ? { NODE_EXTRA_CA_CERTS: trust.caFile } : {}),
    ...options.environment,
  };
  const raw = fn.environment[AUTHORIZER_CONFIG_ENV];
  if (raw && trust.realms.length > 0) environment[AUTHORIZER_CONFIG_ENV] = trust.localConfig(raw);
  const logout = fn.environment[BACKCHANNEL_LOGOUT_CONFIG_ENV];
  if (logout && options.environment?.[BACKCHANNEL_LOGOUT_CONFIG_ENV] === undefined)
    environment[BACKCHANNEL_LOGOUT_CONFIG_ENV] = localLogoutConfig(logout, trust.realms);
  const signIn = fn.environment[SIGN_IN_CONFIG_ENV];
  if (signIn && options.environment?.[SIGN_IN_CONFIG_ENV] === undefined)
    environment[SIGN_IN_CONFIG_ENV] = trust.localSignInConfig(signIn);
  return {
    name: fn.id,
    codeDir: fn.codeDir && fn.inlineCode === undefined ? fn.codeDir : inlineFolder(fn.inlineCode ?? ''),
    handler: fn.handler,
    timeoutSeconds: fn.timeoutSeconds,
    environment,
    verbose: options.verbose,
    ...(options.onFunctionLog ? { onLog: (text: string) => options.onFunctionLog!(fn, text) } : {}),
  };
}

/** Inline code (`ZipFile`) is deployed as `index.js` (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-lambda-function-code.html). */
function inlineFolder(code: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'keygate-local-inline-'));
  writeFileSync(join(dir, 'index.js'), code);
  return dir;
}
