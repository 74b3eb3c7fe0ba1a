/**
 * AWS glue of the model backend: one function for GET /models, POST /models/{modelId}/invoke, GET /me
 * and the IAM routes GET /machine/models, POST /machine/models/{modelId}/invoke, on REST and HTTP APIs.
 * Configuration is read, and AWS SDK clients are created, once per container (outside the handler,
 * https://docs.aws.amazon.com/lambda/latest/dg/best-practices.html).
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import type { BackendLogger } from './audit';
import { loadBackendConfig } from './backend-config';
import { createHandler } from './handler';
import { createModelInvoker } from './model-invoker';

const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'keygate-models' });

let bedrock: BedrockRuntimeClient | undefined;
let sagemaker: SageMakerRuntimeClient | undefined;

const sink: BackendLogger = {
  info: (message, attributes) => logger.info(message, attributes),
  warn: (message, attributes) => logger.warn(message, attributes),
  error: (message, attributes) => logger.error(message, attributes),
};

export const handler = createHandler({
  config: loadBackendConfig(process.env),
  invoke: createModelInvoker({
    // One client per container, reused across invocations; two attempts keep the worst case inside the
    // function timeout.
    bedrock: () => (bedrock ??= new BedrockRuntimeClient({ maxAttempts: 2 })),
    sagemaker: () => (sagemaker ??= new SageMakerRuntimeClient({ maxAttempts: 2 })),
  }),
  logger: sink,
});
