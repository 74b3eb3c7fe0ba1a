/**
 * AWS glue of the model backend: one function for GET /models, POST /models/{modelId}/invoke, GET /me
 * and the IAM routes GET /machine/models, POST /machine/models/{modelId}/invoke, on REST and HTTP APIs;
 * and `streamHandler`, the response-streaming function of POST /models/{modelId}/stream (REST APIs,
 * integration response transfer mode STREAM).
 * Configuration is read, and AWS SDK clients are created, once per container (outside the handler,
 * https://docs.aws.amazon.com/lambda/latest/dg/best-practices.html).
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import type { SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import type { BackendLogger } from './audit';
import { loadBackendConfig } from './backend-config';
import { createHandler } from './handler';
import { createModelInvoker, type ModelClients } from './model-invoker';
import { createModelStreamer } from './model-streamer';
import { lambdaStreamingRuntime } from './response-stream';
import { createStreamHandler } from './stream-handler';
import { powertoolsUsageSink } from './usage-metrics';
import { USAGE_NAMESPACE } from '../../common/usage-record';
import { MODELS_SERVICE_NAME } from '../../common/service-names';

const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? MODELS_SERVICE_NAME });

let bedrock: Promise<BedrockRuntimeClient> | undefined;
let sagemaker: Promise<SageMakerRuntimeClient> | undefined;

const sink: BackendLogger = {
  info: (message, attributes) => logger.info(message, attributes),
  warn: (message, attributes) => logger.warn(message, attributes),
  error: (message, attributes) => logger.error(message, attributes),
};

const clients: ModelClients = {
  // One client per container, reused across invocations; two attempts keep the worst case inside the
  // function timeout. The SDK module is loaded on first use: evaluating it is most of the bundle's load
  // time (about 200 ms of 215 ms measured), which a deployment of demo models alone should not pay.
  bedrock: () =>
    (bedrock ??= import('@aws-sdk/client-bedrock-runtime').then(
      (m) => new m.BedrockRuntimeClient({ maxAttempts: 2 }),
    )),
  sagemaker: () =>
    (sagemaker ??= import('@aws-sdk/client-sagemaker-runtime').then(
      (m) => new m.SageMakerRuntimeClient({ maxAttempts: 2 }),
    )),
};
const config = loadBackendConfig(process.env);
// One EMF line per invocation that reached a model: usage per caller and model (common/usage-record.ts).
const usage = powertoolsUsageSink(
  new Metrics({
    namespace: USAGE_NAMESPACE,
    serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? MODELS_SERVICE_NAME,
  }),
);

export const handler = createHandler({ config, invoke: createModelInvoker(clients), logger: sink, usage });

/**
 * The streaming entry point (handler `index.streamHandler`). `awslambda` is a global of Lambda's Node.js
 * runtime; outside it (a bundle loaded by a test or a tool) the export is a function that fails.
 */
const runtime = lambdaStreamingRuntime();
export const streamHandler: unknown = runtime
  ? runtime.streamifyResponse(
      createStreamHandler({
        config,
        stream: createModelStreamer(clients),
        logger: sink,
        usage,
        httpResponseStream: runtime.HttpResponseStream,
      }),
    )
  : () => Promise.reject(new Error('response streaming needs the Lambda Node.js runtime (awslambda global)'));
