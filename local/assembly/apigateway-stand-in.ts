/**
 * A local stand-in for the part of API Gateway's management API that a Keygate authorizer with per-caller
 * usage tiers calls (lambda/authorizer/usage-key-registrar-aws.ts): GetUsagePlans (to find the tier's plan
 * by its `keygate:usage-tier` tag and API stage), CreateApiKey, GetApiKeys (by name, after a conflict) and
 * CreateUsagePlanKey, which adds the caller's key to the plan the local gateway enforces
 * (serve-usage-plans.ts). A loopback HTTP server speaking the REST-JSON protocol of
 * https://docs.aws.amazon.com/apigateway/latest/api/API_Operations.html; the functions reach it through the
 * AWS SDK's service-specific endpoint variable `AWS_ENDPOINT_URL_API_GATEWAY`
 * (https://docs.aws.amazon.com/sdkref/latest/guide/feature-ss-endpoints.html), so the shipped code runs
 * unchanged. Started only for a stack with per-caller plans. Requests are not authenticated (loopback only).
 *
 * API Gateway's rules kept: an API key value is unique (a second CreateApiKey with it is a 409
 * ConflictException), a key already in a plan is a 409 too
 * (https://docs.aws.amazon.com/apigateway/latest/api/API_CreateApiKey.html,
 * https://docs.aws.amazon.com/apigateway/latest/api/API_CreateUsagePlanKey.html).
 *
 * State: the keys created in this run (bounded by the callers of per-caller tiers in the run).
 */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CALLER_KEY_PLAN_TAG } from '../../common/usage-caller-keys';
import type { AssemblyApi } from './assembly-model';
import type { LocalUsagePlans } from './serve-usage-plans';

/** The stage every local REST gateway serves (its `stage`), named in its method ARNs. */
export const LOCAL_REST_STAGE = 'local';

/** The API id and stage the local gateway of `api` names in its method ARNs (`<apiId>/<stage>/`). */
export function localApiStage(api: AssemblyApi): { apiId: string; stage?: string } {
  return {
    apiId: api.id.toLowerCase().slice(0, 10),
    ...(api.kind === 'rest' ? { stage: LOCAL_REST_STAGE } : {}),
  };
}

export interface ApiGatewayStandIn {
  /** `http://127.0.0.1:<port>` */
  readonly endpoint: string;
  /** Variables to set in every function's environment so its API Gateway client calls the stand-in. */
  readonly environment: Readonly<Record<string, string>>;
  close(): Promise<void>;
}

interface LocalApiKey {
  readonly id: string;
  readonly name: string;
  readonly value: string;
  readonly enabled: boolean;
}

class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

/** Starts the stand-in when a plan of the stack is a per-caller tier's; undefined otherwise. */
export async function startApiGatewayStandIn(
  apis: readonly AssemblyApi[],
  usage: LocalUsagePlans,
): Promise<ApiGatewayStandIn | undefined> {
  if (!usage.served.plans.some((p) => p.callerKeyTier !== undefined)) return undefined;
  const keys = new Map<string, LocalApiKey>();
  const handle = apiGatewayHandler(apis, usage, keys);
  const server = createServer((req, res) => {
    void readBody(req)
      .then((body) => handle(req.method ?? 'GET', new URL(req.url ?? '/', 'http://127.0.0.1'), body))
      .then(
        ({ status, body }) => answer(res, status, body),
        (e: unknown) =>
          e instanceof ApiError
            ? answer(res, e.status, { message: e.message }, e.type)
            : answer(res, 400, { message: 'bad request' }, 'BadRequestException'),
      );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  // The functions' clients sign their calls: with the gateway's own credentials when it has them, else
  // with keys of the run (the stand-in checks none).
  const own = process.env.AWS_ACCESS_KEY_ID !== undefined || process.env.AWS_PROFILE !== undefined;
  return {
    endpoint,
    environment: {
      AWS_ENDPOINT_URL_API_GATEWAY: endpoint,
      ...(own ? {} : { AWS_ACCESS_KEY_ID: 'AKIAKEYGATELOCAL0000', AWS_SECRET_ACCESS_KEY: 'keygate-local' }),
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

type Handler = (method: string, url: URL, body: unknown) => Promise<{ status: number; body: unknown }>;

function apiGatewayHandler(
  apis: readonly AssemblyApi[],
  usage: LocalUsagePlans,
  keys: Map<string, LocalApiKey>,
): Handler {
  const served = new Map(apis.map((a) => [a.id, localApiStage(a)]));
  return (method, url, body) => {
    const path = url.pathname;
    if (method === 'GET' && path === '/usageplans') {
      const item = usage.served.plans.map((p) => ({
        id: p.id,
        name: p.name,
        apiStages: p.apis.flatMap((id) => {
          const s = served.get(id);
          return s ? [{ apiId: s.apiId, stage: s.stage }] : [];
        }),
        ...(p.callerKeyTier ? { tags: { [CALLER_KEY_PLAN_TAG]: p.callerKeyTier } } : {}),
      }));
      return Promise.resolve({ status: 200, body: { item } });
    }
    if (method === 'POST' && path === '/apikeys') return Promise.resolve(createKey(keys, body));
    if (method === 'GET' && path === '/apikeys') {
      const name = url.searchParams.get('name') ?? '';
      const item = [...keys.values()]
        .filter((k) => k.name.startsWith(name))
        .map((k) => ({ id: k.id, name: k.name, enabled: k.enabled }));
      return Promise.resolve({ status: 200, body: { item } });
    }
    const planKeys = /^\/usageplans\/([^/]+)\/keys$/.exec(path);
    if (method === 'POST' && planKeys)
      return Promise.resolve(addToPlan(usage, keys, decodeURIComponent(planKeys[1]), body));
    throw new ApiError(404, 'NotFoundException', `${method} ${path} is not served by the local stand-in`);
  };
}

function createKey(keys: Map<string, LocalApiKey>, body: unknown): { status: number; body: unknown } {
  const b = (body ?? {}) as { name?: unknown; value?: unknown; enabled?: unknown };
  if (typeof b.name !== 'string' || typeof b.value !== 'string')
    throw new ApiError(400, 'BadRequestException', 'name and value are required');
  if ([...keys.values()].some((k) => k.value === b.value))
    throw new ApiError(409, 'ConflictException', 'API Key already exists');
  const key: LocalApiKey = {
    id: randomBytes(5).toString('hex'),
    name: b.name,
    value: b.value,
    enabled: b.enabled === true,
  };
  keys.set(key.id, key);
  return { status: 201, body: { id: key.id, name: key.name, enabled: key.enabled } };
}

function addToPlan(
  usage: LocalUsagePlans,
  keys: Map<string, LocalApiKey>,
  planId: string,
  body: unknown,
): { status: number; body: unknown } {
  const keyId = (body as { keyId?: unknown } | null)?.keyId;
  const key = typeof keyId === 'string' ? keys.get(keyId) : undefined;
  const plan = usage.served.plans.find((p) => p.id === planId);
  if (!key || !plan) throw new ApiError(404, 'NotFoundException', 'Invalid API Key identifier or usage plan');
  if (plan.keys.includes(key.value))
    throw new ApiError(409, 'ConflictException', 'Usage Plan Key already exists');
  // A disabled key is in the plan, but the gateway refuses it (serve-usage-plans.ts counts enabled keys).
  if (key.enabled && !usage.register(planId, key.value))
    throw new ApiError(400, 'BadRequestException', `usage plan ${planId} is not enforced locally`);
  return { status: 201, body: { id: key.id, type: 'API_KEY', name: key.name } };
}

function readBody(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      // Management requests are small JSON documents.
      if (size > 64 * 1024) req.destroy(new ApiError(413, 'BadRequestException', 'body too large'));
      else chunks.push(c);
    });
    req.on('error', reject);
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      try {
        resolve(text === '' ? undefined : JSON.parse(text));
      } catch {
        reject(new ApiError(400, 'BadRequestException', 'the body is not JSON'));
      }
    });
  });
}

function answer(res: ServerResponse, status: number, body: unknown, errorType?: string): void {
  res.writeHead(status, {
    'content-type': 'application/json',
    ...(errorType ? { 'x-amzn-errortype': errorType } : {}),
  });
  res.end(JSON.stringify(body));
}
