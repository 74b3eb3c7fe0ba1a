/**
 * Picks the runner for a model's kind. The AWS clients are parameters so the glue creates them once per
 * container and tests pass clients whose `send` aws-sdk-client-mock replaces.
 */
import type { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import type { SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import type { ModelConfig } from '../../common/app-config';
import { invokeBedrock } from './bedrock-model';
import { DEFAULT_TOP_K, extractKeywords } from './keywords-model';
import { ModelCallError } from './model-error';
import { invokeSageMaker } from './sagemaker-model';
import { scoreSentiment } from './sentiment-model';
import type { InvokeRequest, ModelOutput } from './types';

export type ModelInvoker = (model: ModelConfig, request: InvokeRequest) => Promise<ModelOutput>;

export interface ModelClients {
  /** Created (and their SDK module loaded) on first use, so a deployment of demo models never pays for them. */
  bedrock(): BedrockRuntimeClient | Promise<BedrockRuntimeClient>;
  sagemaker(): SageMakerRuntimeClient | Promise<SageMakerRuntimeClient>;
}

export function createModelInvoker(clients: ModelClients): ModelInvoker {
  return async (model, request) => {
    switch (model.kind) {
      case 'demo':
        return runDemo(model, request);
      case 'bedrock':
        return invokeBedrock(await clients.bedrock(), model.bedrockModelId as string, request);
      case 'sagemaker':
        return invokeSageMaker(await clients.sagemaker(), model.sagemakerEndpointName as string, request);
      default:
        throw new ModelCallError(500, 'config_invalid', 'the model kind is not supported');
    }
  };
}

function runDemo(model: ModelConfig, request: InvokeRequest): ModelOutput {
  switch (model.demo) {
    case 'sentiment':
      return { output: scoreSentiment(request.input) };
    case 'keywords':
      return { output: extractKeywords(request.input, request.parameters.topK ?? DEFAULT_TOP_K) };
    default:
      throw new ModelCallError(500, 'config_invalid', 'the demo model is not supported');
  }
}
