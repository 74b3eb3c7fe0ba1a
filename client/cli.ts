/**
 * keygate-call: call a Keygate IAM route with a SigV4-signed request, using the default AWS credential
 * chain (environment, AWS_PROFILE / SSO, web identity, container or instance role).
 *
 *   npx keygate-call POST https://abc123.execute-api.eu-west-1.amazonaws.com/prod/machine/models/sentiment/invoke --data @body.json
 */
import { readFileSync } from 'node:fs';
import { parseStreamEvents } from '../common/model-stream';
import { API_KEY_HEADER, resolveApiKey } from './api-key';
import { headersForFetch, signRequest } from './sign-request';

export const USAGE = `Usage: keygate-call [METHOD] <url> [options]

Sends a SigV4-signed request (service execute-api) to an API Gateway route authorized with AWS_IAM,
using the default AWS credential chain, and prints the response body.

Arguments:
  METHOD                 GET, POST, PUT, PATCH, DELETE, HEAD or OPTIONS (default: GET, or POST with --data)
  url                    full URL, e.g. https://abc123.execute-api.eu-west-1.amazonaws.com/prod/machine/models

Options:
  -d, --data <body>      request body: a literal string, @file to read a file, or @- for standard input
  -H, --header <k: v>    extra header (repeatable)
      --region <region>  signing region (default: from the URL, else AWS_REGION)
      --service <name>   signing service (default: execute-api)
      --api-key-secret <arn>
                         send the API key held by this Secrets Manager secret as X-API-Key (IAM routes
                         under usage tiers; the stack output MachinePrincipal<i>ApiKeySecretArn). Without it,
                         KEYGATE_API_KEY (the key itself) or KEYGATE_API_KEY_SECRET_ARN, if set
  -i, --include          print the status line and response headers before the body
  -h, --help             show this help

A streamed answer (content type text/event-stream, e.g. POST .../models/{modelId}/stream) is printed as it
arrives: the text of each delta event at once, then the stop reason and token usage on standard error.

Exit status: 0 for a 2xx answer, 1 for any other HTTP status or a stream that ends with an error event,
2 for a usage or signing error.

Example:
  echo '{"input":"What a great day"}' > body.json
  npx keygate-call POST https://abc123.execute-api.eu-west-1.amazonaws.com/prod/machine/models/sentiment/invoke --data @body.json
`;

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'];

export interface CliArgs {
  readonly method: string;
  readonly url: string;
  readonly data?: string;
  readonly headers: Record<string, string>;
  readonly region?: string;
  readonly service?: string;
  readonly include: boolean;
  readonly apiKeySecretArn?: string;
}

export type ParseResult =
  { ok: true; args: CliArgs } | { ok: false; help: true } | { ok: false; help: false; error: string };

/** Parses argv (without `node` and the script); `@file` and `@-` are resolved by the caller. */
export function parseArgs(argv: readonly string[]): ParseResult {
  const positional: string[] = [];
  const headers: Record<string, string> = {};
  let data: string | undefined;
  let region: string | undefined;
  let service: string | undefined;
  let include = false;
  let apiKeySecretArn: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = (): string | undefined => (i + 1 < argv.length ? argv[++i] : undefined);
    switch (a) {
      case '-h':
      case '--help':
        return { ok: false, help: true };
      case '-d':
      case '--data': {
        data = value();
        if (data === undefined) return { ok: false, help: false, error: `${a} needs a value` };
        break;
      }
      case '-H':
      case '--header': {
        const h = value();
        const colon = h?.indexOf(':') ?? -1;
        if (h === undefined || colon <= 0)
          return { ok: false, help: false, error: `${a} needs 'Name: value'` };
        headers[h.slice(0, colon).trim().toLowerCase()] = h.slice(colon + 1).trim();
        break;
      }
      case '--region':
        region = value();
        if (!region) return { ok: false, help: false, error: '--region needs a value' };
        break;
      case '--service':
        service = value();
        if (!service) return { ok: false, help: false, error: '--service needs a value' };
        break;
      case '--api-key-secret':
        apiKeySecretArn = value();
        if (!apiKeySecretArn) return { ok: false, help: false, error: '--api-key-secret needs a value' };
        break;
      case '-i':
      case '--include':
        include = true;
        break;
      default:
        if (a.startsWith('-')) return { ok: false, help: false, error: `unknown option ${a}` };
        positional.push(a);
    }
  }
  let method = data === undefined ? 'GET' : 'POST';
  if (positional.length === 2) method = positional.shift()!.toUpperCase();
  if (positional.length !== 1)
    return { ok: false, help: false, error: 'give one URL (and optionally a METHOD before it)' };
  if (!METHODS.includes(method))
    return { ok: false, help: false, error: `METHOD must be one of ${METHODS.join(', ')}` };
  const url = positional[0];
  try {
    const u = new URL(url);
    if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new Error('scheme');
  } catch {
    return { ok: false, help: false, error: `not an http(s) URL: ${url}` };
  }
  return {
    ok: true,
    args: {
      method,
      url,
      data,
      headers,
      region,
      service,
      include,
      ...(apiKeySecretArn ? { apiKeySecretArn } : {}),
    },
  };
}

/** `@file` reads a file, `@-` standard input; anything else is the body itself. */
export function resolveData(
  data: string | undefined,
  readStdin: () => string = () => readFileSync(0, 'utf8'),
): string | undefined {
  if (data === undefined) return undefined;
  if (data === '@-') return readStdin();
  if (data.startsWith('@')) return readFileSync(data.slice(1), 'utf8');
  return data;
}

export interface CliIo {
  readonly out: (s: string) => void;
  readonly err: (s: string) => void;
  readonly fetch?: typeof fetch;
  /** The environment the API key is read from. @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  /** Secrets Manager's endpoint (tests). @default - the ARN's region's */
  readonly secretsEndpoint?: string;
}

/** Runs the command; returns the exit status. */
export async function main(argv: readonly string[], io: CliIo = defaultIo()): Promise<number> {
  const parsed = parseArgs(argv);
  if (!parsed.ok) {
    if (parsed.help) {
      io.out(USAGE);
      return 0;
    }
    io.err(`keygate-call: ${parsed.error}\n\n${USAGE}`);
    return 2;
  }
  const { args } = parsed;
  try {
    const body = resolveData(args.data);
    const headers = { ...args.headers };
    if (body !== undefined && headers['content-type'] === undefined)
      headers['content-type'] = 'application/json';
    if (headers[API_KEY_HEADER] === undefined) {
      const key = await resolveApiKey(
        args.apiKeySecretArn ? { apiKeySecretArn: args.apiKeySecretArn } : {},
        { fetch: io.fetch ?? fetch, ...(io.secretsEndpoint ? { endpoint: io.secretsEndpoint } : {}) },
        io.env ?? process.env,
      );
      if (key !== undefined) headers[API_KEY_HEADER] = key;
    }
    const signed = await signRequest(
      { method: args.method, url: args.url, headers, body },
      { region: args.region, service: args.service },
    );
    const res = await (io.fetch ?? fetch)(signed.url, {
      method: signed.method,
      headers: headersForFetch(signed),
      body,
    });
    if (args.include) {
      io.out(`HTTP ${res.status} ${res.statusText}\n`);
      res.headers.forEach((v, k) => io.out(`${k}: ${v}\n`));
      io.out('\n');
    }
    const ok = res.status >= 200 && res.status < 300;
    if (ok && res.body && (res.headers.get('content-type') ?? '').startsWith('text/event-stream')) {
      return (await printStream(res.body, io)) ? 0 : 1;
    }
    const text = await res.text();
    io.out(text.endsWith('\n') || text === '' ? text : `${text}\n`);
    return ok ? 0 : 1;
  } catch (e) {
    io.err(`keygate-call: ${(e as Error).message}\n`);
    return 2;
  }
}

/**
 * Prints a streamed model answer as it arrives: each delta's text at once, then a line with the stop
 * reason and usage (standard error). True when the stream ended with its `done` event.
 */
export async function printStream(body: ReadableStream<Uint8Array>, io: CliIo): Promise<boolean> {
  const decoder = new TextDecoder();
  let buffer = '';
  let ended: boolean | undefined;
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    const parsed = parseStreamEvents(buffer);
    buffer = parsed.rest;
    for (const e of parsed.events) {
      if (e.event === 'delta') io.out(e.data.text);
      else if (e.event === 'done') {
        const u = e.data.usage;
        io.out('\n');
        io.err(
          `[${e.data.stopReason}${u ? `, tokens in ${u.inputTokens ?? '?'} / out ${u.outputTokens ?? '?'}` : ''}]\n`,
        );
        ended = true;
      } else {
        io.out('\n');
        io.err(`keygate-call: the model failed mid-answer: ${e.data.error}: ${e.data.message}\n`);
        ended = false;
      }
    }
  }
  if (ended === undefined) io.err('\nkeygate-call: the stream ended before its last event\n');
  return ended === true;
}

function defaultIo(): CliIo {
  return { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s) };
}
