/**
 * A local stand-in for the AWS Parameters and Secrets Lambda Extension, through which the stack's
 * functions read their Secrets Manager secrets (lambda/shared/secrets-extension.ts): a loopback HTTP
 * server answering `GET /secretsmanager/get?secretId=<id>` with GetSecretValue's JSON, as the extension
 * does (https://docs.aws.amazon.com/secretsmanager/latest/userguide/retrieving-secrets_lambda.html).
 * The functions find it through `PARAMETERS_SECRETS_EXTENSION_HTTP_PORT`, the variable the extension
 * itself reads, so the shipped function code runs unchanged.
 *
 * Values: one per `AWS::SecretsManager::Secret` of the template, generated for the run as
 * CloudFormation generates it (`GenerateSecretString`: length, punctuation, `SecretStringTemplate` with
 * `GenerateStringKey`; https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-secretsmanager-secret-generatesecretstring.html),
 * or its literal `SecretString`, or the user's value. The functions' configs name a secret by the stand-in
 * `local-<logical id>` (read-assembly.ts replaces each reference so), which is what this server answers to.
 *
 * The extension authenticates callers with the function's session token (`X-Aws-Parameters-Secrets-Token`);
 * so does this one: every function gets the token of the run in AWS_SESSION_TOKEN unless the gateway's
 * own environment holds AWS credentials, whose session token (if any) is then the one checked.
 */
import { randomBytes, randomInt } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Resources } from './template';

/** One secret the stand-in answers for. */
export interface LocalSecret {
  /** The secret's logical id in the template. */
  readonly logicalId: string;
  /** The id the functions ask for: `local-<logical id>`. */
  readonly secretId: string;
  readonly value: string;
}

export interface SecretsStandIn {
  readonly secrets: readonly LocalSecret[];
  /** Variables to set in every function's environment so it reads its secrets here. */
  readonly environment: Readonly<Record<string, string>>;
  close(): Promise<void>;
}

export interface SecretsStandInOptions {
  /**
   * Secret values by logical id or by the secret id the functions ask for (`local-<logical id>`, or any
   * other id, e.g. the ARN of a secret the app imports by name). @default - generated per run
   */
  readonly secrets?: Readonly<Record<string, string>>;
}

/** Extension variables whose literal values in the template the stand-in replaces. */
const EXTENSION_PORT_ENV = 'PARAMETERS_SECRETS_EXTENSION_HTTP_PORT';

/** The template's secrets with this run's values (the user's where given). */
export function localSecretsOf(
  resources: Resources,
  overrides: Readonly<Record<string, string>> = {},
): LocalSecret[] {
  return Object.entries(resources)
    .filter(([, r]) => typeof r === 'object' && r !== null && r.Type === 'AWS::SecretsManager::Secret')
    .map(([logicalId, r]) => {
      const secretId = `local-${logicalId}`;
      return {
        logicalId,
        secretId,
        value: overrides[logicalId] ?? overrides[secretId] ?? generatedValue(r.Properties ?? {}),
      };
    });
}

interface GenerateSecretString {
  readonly PasswordLength?: number;
  readonly ExcludePunctuation?: boolean;
  readonly ExcludeNumbers?: boolean;
  readonly ExcludeUppercase?: boolean;
  readonly ExcludeLowercase?: boolean;
  readonly ExcludeCharacters?: string;
  readonly IncludeSpace?: boolean;
  readonly SecretStringTemplate?: string;
  readonly GenerateStringKey?: string;
}

const LOWER = 'abcdefghijklmnopqrstuvwxyz';
const UPPER = LOWER.toUpperCase();
const DIGITS = '0123456789';
// Secrets Manager's punctuation set (GetRandomPassword, ExcludePunctuation).
const PUNCTUATION = '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~';

/** The value CloudFormation would store: a literal SecretString, else a generated one. */
function generatedValue(p: Record<string, unknown>): string {
  if (typeof p.SecretString === 'string') return p.SecretString;
  const g = (p.GenerateSecretString ?? {}) as GenerateSecretString;
  const password = randomPassword(g);
  if (g.SecretStringTemplate !== undefined && g.GenerateStringKey !== undefined) {
    const template = JSON.parse(g.SecretStringTemplate) as Record<string, unknown>;
    return JSON.stringify({ ...template, [g.GenerateStringKey]: password });
  }
  return password;
}

function randomPassword(g: GenerateSecretString): string {
  const excluded = new Set(g.ExcludeCharacters ?? '');
  const alphabet = [
    ...(g.ExcludeLowercase ? '' : LOWER),
    ...(g.ExcludeUppercase ? '' : UPPER),
    ...(g.ExcludeNumbers ? '' : DIGITS),
    ...(g.ExcludePunctuation ? '' : PUNCTUATION),
    ...(g.IncludeSpace ? ' ' : ''),
  ].filter((c) => !excluded.has(c));
  if (alphabet.length === 0) return randomBytes(24).toString('base64url');
  // Secrets Manager's default length is 32 characters.
  const length = g.PasswordLength ?? 32;
  return Array.from({ length }, () => alphabet[randomInt(alphabet.length)]).join('');
}

/** The token the functions present: their session token if the gateway has AWS credentials, else the run's. */
function sessionToken(): { token: string; environment: Record<string, string> } {
  if (process.env.AWS_ACCESS_KEY_ID !== undefined || process.env.AWS_PROFILE !== undefined) {
    return { token: process.env.AWS_SESSION_TOKEN ?? '', environment: {} };
  }
  const token = randomBytes(24).toString('base64url');
  return { token, environment: { AWS_SESSION_TOKEN: token } };
}

export async function startSecretsStandIn(
  resources: Resources,
  options: SecretsStandInOptions = {},
): Promise<SecretsStandIn> {
  const secrets = localSecretsOf(resources, options.secrets);
  const byId = new Map<string, LocalSecret>();
  for (const s of secrets) {
    byId.set(s.secretId, s);
    byId.set(s.logicalId, s);
  }
  // Values the user gives for ids the template does not declare (e.g. an imported secret's ARN).
  for (const [id, value] of Object.entries(options.secrets ?? {})) {
    if (!byId.has(id)) byId.set(id, { logicalId: id, secretId: id, value });
  }
  const { token, environment } = sessionToken();
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const answer = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.headers['x-aws-parameters-secrets-token'] !== token) {
      return answer(401, { message: 'missing or wrong X-Aws-Parameters-Secrets-Token' });
    }
    if (req.method !== 'GET' || url.pathname !== '/secretsmanager/get') {
      return answer(404, { message: 'not found' });
    }
    const secret = byId.get(url.searchParams.get('secretId') ?? '');
    if (!secret) {
      return answer(400, {
        __type: 'ResourceNotFoundException',
        message: "Secrets Manager can't find the specified secret.",
      });
    }
    return answer(200, {
      ARN: `arn:aws:secretsmanager:local:000000000000:secret:${secret.secretId}`,
      Name: secret.secretId,
      SecretString: secret.value,
      VersionId: 'local',
      VersionStages: ['AWSCURRENT'],
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    secrets,
    environment: { ...environment, [EXTENSION_PORT_ENV]: String(port) },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
