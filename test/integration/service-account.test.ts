/**
 * A Keycloak service account end to end, with nothing faked: a client-credentials token from the local
 * OpenID provider (Keycloak's paths and claim shapes, HTTPS on 127.0.0.1), the real authorizer handler
 * verifying it against the provider's JWKS and deciding on the invoke route, and the real model backend
 * running the model with the context the authorizer produced.
 */
import { request as httpsRequest } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_APP_CONFIG, DEFAULT_ROUTES } from '../../common/app-config';
import { type AuthorizerConfig } from '../../common/authorizer-config';
import { validateAuthorizerConfig } from '../../common/authorizer-config-validate';
import type { RouteSpec } from '../../common/route-model';
import { iamGlobMatches } from '../../local/gateway/iam-policy';
import { createHandler as createAuthorizer } from '../../lambda/authorizer/handler';
import type { DecisionLine, DecisionLog } from '../../lambda/authorizer/decision-log';
import { createTokenVerifier } from '../../lambda/authorizer/verify-token';
import { validateBackendConfig } from '../../lambda/models/backend-config';
import { createHandler as createBackend } from '../../lambda/models/handler';
import { createModelInvoker } from '../../lambda/models/model-invoker';
import { startLocalIssuer, type LocalIssuer } from '../../local/issuer';
import { recordingLogger } from '../lambda/models/recording-logger';

const STAGE = DEFAULT_APP_CONFIG.stages.dev;
const ACCOUNT = '111122223333';
const API_ID = 'kg0api0001';
const SERVICE_CLIENT = 'batch-scorer';

/** The token endpoint request a service makes: client_credentials with HTTP Basic client authentication. */
function clientCredentialsToken(
  issuer: LocalIssuer,
  clientId: string,
  secret: string,
): Promise<Record<string, unknown>> {
  const url = new URL(issuer.urls.token);
  const body = new URLSearchParams({ grant_type: 'client_credentials' }).toString();
  const basic = Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString(
    'base64',
  );
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      url,
      {
        method: 'POST',
        ca: issuer.ca,
        headers: {
          authorization: `Basic ${basic}`,
          'content-type': 'application/x-www-form-urlencoded',
          'content-length': Buffer.byteLength(body),
        },
        timeout: 5000,
      },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => {
          if (res.statusCode !== 200) reject(new Error(`token endpoint answered ${res.statusCode}: ${text}`));
          else resolve(JSON.parse(text) as Record<string, unknown>);
        });
      },
    );
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('token endpoint timed out')));
    req.end(body);
  });
}

function recordingDecisionLog(): DecisionLog & { lines: DecisionLine[] } {
  const lines: DecisionLine[] = [];
  return { lines, decision: (l) => lines.push(l), jwksFailure: () => {}, configInvalid: () => {} };
}

type Shape = 'rest' | 'http';

/** The REQUEST authorizer event API Gateway sends for `POST /models/{modelId}/invoke`. */
function authorizerEvent(shape: Shape, token: string, modelId: string): Record<string, unknown> {
  const path = `/models/${modelId}/invoke`;
  if (shape === 'http') {
    return {
      version: '2.0',
      type: 'REQUEST',
      routeArn: `arn:aws:execute-api:${STAGE.region}:${ACCOUNT}:${API_ID}/$default/POST${path}`,
      identitySource: [`Bearer ${token}`],
      routeKey: 'POST /models/{modelId}/invoke',
      rawPath: path,
      rawQueryString: '',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      pathParameters: { modelId },
      requestContext: {
        accountId: ACCOUNT,
        apiId: API_ID,
        http: { method: 'POST', path, protocol: 'HTTP/1.1', sourceIp: '198.51.100.9', userAgent: 'batch' },
        requestId: 'int-req-http',
        routeKey: 'POST /models/{modelId}/invoke',
        stage: '$default',
      },
    };
  }
  return {
    type: 'REQUEST',
    methodArn: `arn:aws:execute-api:${STAGE.region}:${ACCOUNT}:${API_ID}/prod/POST${path}`,
    resource: '/models/{modelId}/invoke',
    path,
    httpMethod: 'POST',
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    multiValueHeaders: { Authorization: [`Bearer ${token}`], 'Content-Type': ['application/json'] },
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: { modelId },
    requestContext: {
      accountId: ACCOUNT,
      apiId: API_ID,
      stage: 'prod',
      requestId: 'int-req-rest',
      httpMethod: 'POST',
    },
  };
}

/** The proxy event the backend then receives, with the authorizer's context where API Gateway puts it. */
function backendEvent(
  shape: Shape,
  context: Record<string, unknown>,
  modelId: string | undefined,
  body: string | null,
) {
  const method = modelId === undefined ? 'GET' : 'POST';
  const route = modelId === undefined ? '/models' : '/models/{modelId}/invoke';
  const path = modelId === undefined ? '/models' : `/models/${modelId}/invoke`;
  const pathParameters = modelId === undefined ? null : { modelId };
  if (shape === 'http') {
    return {
      version: '2.0',
      routeKey: `${method} ${route}`,
      rawPath: path,
      rawQueryString: '',
      headers: { 'content-type': 'application/json' },
      ...(pathParameters ? { pathParameters } : {}),
      requestContext: {
        accountId: ACCOUNT,
        apiId: API_ID,
        authorizer: { lambda: context },
        http: { method, path },
        requestId: 'int-req-http',
        routeKey: `${method} ${route}`,
        stage: '$default',
      },
      body,
      isBase64Encoded: false,
    };
  }
  return {
    resource: route,
    path,
    httpMethod: method,
    headers: { 'Content-Type': 'application/json' },
    pathParameters,
    requestContext: {
      accountId: ACCOUNT,
      apiId: API_ID,
      stage: 'prod',
      requestId: 'int-req-rest',
      authorizer: { principalId: context.sub, ...context },
      identity: { userArn: null },
    },
    body,
    isBase64Encoded: false,
  };
}

interface PolicyStatement {
  Effect: 'Allow' | 'Deny';
  Resource: string | string[];
}

/** IAM evaluation of the authorizer's policy for one method ARN: an explicit Deny wins, else any Allow. */
function evaluate(statements: PolicyStatement[], arn: string): 'allow' | 'deny' {
  const matches = (s: PolicyStatement) => [s.Resource].flat().some((r) => iamGlobMatches(r, arn));
  if (statements.some((s) => s.Effect === 'Deny' && matches(s))) return 'deny';
  return statements.some((s) => s.Effect === 'Allow' && matches(s)) ? 'allow' : 'deny';
}

describe.each(['client_id', 'clientId'] as const)('service account with the %s claim', (clientIdClaim) => {
  let issuer: LocalIssuer;
  let authorizer: ReturnType<typeof createAuthorizer>;
  let decisions: ReturnType<typeof recordingDecisionLog>;
  let token: string;
  let tokenResponse: Record<string, unknown>;

  beforeAll(async () => {
    issuer = await startLocalIssuer({ realm: STAGE.keycloak, clientIdClaim });
    const config: AuthorizerConfig = {
      version: 1,
      issuers: [
        {
          kind: 'keycloak',
          issuer: issuer.issuer,
          jwksUri: issuer.urls.certs,
          allowedAudiences: [STAGE.keycloak.audience ?? STAGE.keycloak.apiClientId],
        },
      ],
      routes: DEFAULT_ROUTES as readonly RouteSpec[],
      responseMode: 'iam',
    };
    const valid = validateAuthorizerConfig(config);
    if (!valid.ok) throw new Error(valid.errors.join('; '));
    decisions = recordingDecisionLog();
    authorizer = createAuthorizer({
      config: { ok: true, config: valid.config },
      createVerifier: (cfg, events) =>
        createTokenVerifier(cfg, { events, requestOptions: { ca: issuer.ca } }),
      log: decisions,
    });
    tokenResponse = await clientCredentialsToken(
      issuer,
      SERVICE_CLIENT,
      issuer.clientSecrets[SERVICE_CLIENT],
    );
    token = tokenResponse.access_token as string;
  });
  afterAll(async () => {
    await issuer?.close();
  });

  it('the token endpoint issues a Keycloak-shaped service-account access token', () => {
    expect(tokenResponse.token_type).toMatch(/^bearer$/i);
    const claims = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8')) as Record<
      string,
      unknown
    >;
    expect(claims).toMatchObject({
      azp: SERVICE_CLIENT,
      preferred_username: `service-account-${SERVICE_CLIENT}`,
      [clientIdClaim]: SERVICE_CLIENT,
    });
    const access = claims.resource_access as Record<string, { roles: string[] }>;
    // Exactly the roles the stage grants the service account, beside Keycloak's account-client defaults.
    expect([...access['keygate-api'].roles].sort()).toEqual(['model-user', 'model:sentiment:invoke']);
    expect(Object.keys(access).sort()).toEqual(['account', 'keygate-api']);
  });

  const backendConfig = validateBackendConfig({ models: STAGE.models });

  it.each<Shape>(['http', 'rest'])(
    '%s API: the authorizer allows the invoke route and the backend runs the model for the service account',
    async (shape) => {
      const response = (await authorizer(authorizerEvent(shape, token, 'sentiment'))) as unknown as {
        principalId: string;
        policyDocument: { Statement: PolicyStatement[] };
        context: Record<string, string>;
      };
      const stage = shape === 'http' ? '$default' : 'prod';
      const arn = (m: string) =>
        `arn:aws:execute-api:${STAGE.region}:${ACCOUNT}:${API_ID}/${stage}/POST/models/${m}/invoke`;
      expect(evaluate(response.policyDocument.Statement, arn('sentiment'))).toBe('allow');
      // The cached policy must not open the model the service account holds no role for.
      expect(evaluate(response.policyDocument.Statement, arn('keywords'))).toBe('deny');
      expect(decisions.lines.at(-1)).toMatchObject({
        decision: 'allow',
        reason: 'allowed',
        facts: { azp: SERVICE_CLIENT },
      });
      expect(response.context).toMatchObject({
        username: `service-account-${SERVICE_CLIENT}`,
        clientId: SERVICE_CLIENT,
        tokenKind: 'keycloak-service-account',
      });

      const logger = recordingLogger();
      const backend = createBackend({
        config: backendConfig,
        invoke: createModelInvoker({
          bedrock: () => {
            throw new Error('no Bedrock model is configured');
          },
          sagemaker: () => {
            throw new Error('no SageMaker model is configured');
          },
        }),
        logger,
      });
      const res = await backend(
        backendEvent(
          shape,
          response.context,
          'sentiment',
          JSON.stringify({ input: 'The scoring run was fast and reliable.' }),
        ),
      );
      expect(res.statusCode).toBe(200);
      const body = JSON.parse(res.body) as {
        modelId: string;
        output: { label: string; matches: { term: string }[] };
      };
      expect(body.modelId).toBe('sentiment');
      expect(body.output.label).toBe('positive');
      expect(body.output.matches.map((m) => m.term)).toEqual(['fast', 'reliable']);
      expect(logger.audits()).toEqual([
        expect.objectContaining({
          callerType: 'token',
          sub: response.principalId,
          clientId: SERVICE_CLIENT,
          username: `service-account-${SERVICE_CLIENT}`,
          tokenKind: 'keycloak-service-account',
          modelId: 'sentiment',
          outcome: 'success',
        }),
      ]);

      // Defence in depth: the same identity on a model it holds no role for is refused by the backend too.
      const denied = await backend(backendEvent(shape, response.context, 'keywords', '{"input":"x"}'));
      expect(denied.statusCode).toBe(403);

      // GET /models lists what the invoke requirement allows this identity.
      const list = await backend(backendEvent(shape, response.context, undefined, null));
      expect(list.statusCode).toBe(200);
      expect((JSON.parse(list.body) as { models: { id: string }[] }).models.map((m) => m.id)).toEqual([
        'sentiment',
      ]);
    },
  );

  it('a wrong client secret gets no token', async () => {
    await expect(clientCredentialsToken(issuer, SERVICE_CLIENT, 'not-the-secret')).rejects.toThrow(
      /token endpoint answered 401/,
    );
  });
});
