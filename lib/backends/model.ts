import { Token } from 'aws-cdk-lib';
import type { ModelConfig } from '../../common/app-config';
import {
  DEMO_MODELS,
  ENDPOINT_NAME_PATTERN as ENDPOINT_NAME,
  FOUNDATION_MODEL_ID_PATTERN as FOUNDATION_MODEL_ID,
  INFERENCE_PROFILE_PREFIX,
  MODEL_ID_PATTERN as MODEL_ID,
  MODEL_ID_RULE,
} from '../../common/model-contract';
import { KeygateValidationError } from '../internal/validation-error';

/**
 * A model entry as the app configuration writes it (`models` in a stage of cdk.json context `keygate`).
 * Plain strings, so the app config's `ModelConfig` fits it as is.
 */
export interface ModelSpec {
  /** URL-safe id used in `/models/{modelId}/invoke` and in roles `model:{modelId}:invoke`. */
  readonly id: string;
  /** `demo`, `bedrock` or `sagemaker`. */
  readonly kind: string;
  /**
   * Shown by GET /models.
   * @default - none
   */
  readonly description?: string;
  /**
   * kind `demo`: `sentiment` or `keywords`.
   * @default - none
   */
  readonly demo?: string;
  /**
   * kind `bedrock`: the foundation-model id.
   * @default - none
   */
  readonly bedrockModelId?: string;
  /**
   * kind `sagemaker`: the endpoint name.
   * @default - none
   */
  readonly sagemakerEndpointName?: string;
}

/** A model the backend serves: a built-in demo model, a Bedrock foundation model or a SageMaker endpoint. */
export class Model {
  /**
   * A built-in text model that computes in the function itself (no AWS calls, no extra permissions).
   * @param id URL-safe id used in `/models/{id}/invoke` and in roles `model:{id}:invoke`
   * @param demo which built-in model: `sentiment` or `keywords`
   */
  public static demo(id: string, demo: string, description?: string): Model {
    const where = 'Model.demo';
    checkId(where, id);
    if (!(DEMO_MODELS as readonly string[]).includes(demo))
      throw new KeygateValidationError(
        undefined,
        'demo',
        `${where}: demo must be one of ${DEMO_MODELS.join(', ')}, got '${demo}'`,
      );
    return new Model(id, 'demo', {
      id,
      kind: 'demo',
      demo: demo as 'sentiment' | 'keywords',
      ...desc(where, description),
    });
  }

  /**
   * An Amazon Bedrock foundation model, called through the Converse API. The function may invoke exactly
   * `arn:<partition>:bedrock:<region>::foundation-model/<foundationModelId>`.
   * @param foundationModelId e.g. `anthropic.claude-3-haiku-20240307-v1:0` (not an inference-profile id)
   */
  public static bedrock(id: string, foundationModelId: string, description?: string): Model {
    const where = 'Model.bedrock';
    checkId(where, id);
    if (!Token.isUnresolved(foundationModelId)) {
      if (foundationModelId.startsWith('arn:') || INFERENCE_PROFILE_PREFIX.test(foundationModelId)) {
        throw new KeygateValidationError(
          undefined,
          'foundationModelId',
          `${where}: foundationModelId '${foundationModelId}' is an ARN or inference-profile id; give a foundation-model id such as anthropic.claude-3-haiku-20240307-v1:0`,
        );
      }
      if (!FOUNDATION_MODEL_ID.test(foundationModelId)) {
        throw new KeygateValidationError(
          undefined,
          'foundationModelId',
          `${where}: foundationModelId '${foundationModelId}' is not a foundation-model id such as anthropic.claude-3-haiku-20240307-v1:0`,
        );
      }
    }
    return new Model(id, 'bedrock', {
      id,
      kind: 'bedrock',
      bedrockModelId: foundationModelId,
      ...desc(where, description),
    });
  }

  /**
   * A SageMaker real-time endpoint, called with InvokeEndpoint. The function may invoke exactly that
   * endpoint's ARN.
   * @param endpointName the endpoint's name (not its ARN)
   */
  public static sagemaker(id: string, endpointName: string, description?: string): Model {
    const where = 'Model.sagemaker';
    checkId(where, id);
    if (!Token.isUnresolved(endpointName) && !ENDPOINT_NAME.test(endpointName)) {
      throw new KeygateValidationError(
        undefined,
        'endpointName',
        `${where}: endpointName '${endpointName}' is not a SageMaker endpoint name (letters, digits and hyphens, at most 63)`,
      );
    }
    return new Model(id, 'sagemaker', {
      id,
      kind: 'sagemaker',
      sagemakerEndpointName: endpointName,
      ...desc(where, description),
    });
  }

  /** A model from an entry of the app configuration's `models`. */
  public static fromConfig(config: ModelSpec): Model {
    switch (config.kind) {
      case 'demo':
        return Model.demo(config.id, config.demo ?? '', config.description);
      case 'bedrock':
        return Model.bedrock(config.id, config.bedrockModelId ?? '', config.description);
      case 'sagemaker':
        return Model.sagemaker(config.id, config.sagemakerEndpointName ?? '', config.description);
      default:
        throw new KeygateValidationError(
          undefined,
          'kind',
          `Model.fromConfig: kind must be one of demo, bedrock, sagemaker, got '${String((config as { kind: unknown }).kind)}'`,
        );
    }
  }

  /** Models from the app configuration's `models` list; a message names the entry that is wrong. */
  public static fromConfigs(configs: ModelSpec[]): Model[] {
    return configs.map((c, i) => {
      try {
        return Model.fromConfig(c);
      } catch (e) {
        // The entry's field, named from the list it is in; the message is the entry's own.
        const field = KeygateValidationError.is(e) ? `models[${i}].${e.field}` : `models[${i}]`;
        throw new KeygateValidationError(undefined, field, `models[${i}]: ${(e as Error).message}`, {
          cause: e,
        });
      }
    });
  }

  private constructor(
    /** The model id in `/models/{id}/invoke`. */
    public readonly id: string,
    /** `demo`, `bedrock` or `sagemaker`. */
    public readonly kind: string,
    private readonly config: ModelConfig,
  ) {}

  /**
   * The backend configuration entry (internal: read by ModelBackend).
   * @internal
   */
  public _toConfig(): ModelConfig {
    return this.config;
  }
}

function checkId(where: string, id: string): void {
  if (typeof id !== 'string' || Token.isUnresolved(id) || !MODEL_ID.test(id)) {
    throw new KeygateValidationError(
      undefined,
      'id',
      `${where}: id '${String(id)}' must be ${MODEL_ID_RULE}`,
    );
  }
}

function desc(where: string, description: string | undefined): { description?: string } {
  if (description === undefined) return {};
  if (description.length > 256) {
    throw new KeygateValidationError(
      undefined,
      'description',
      `${where}: description must be at most 256 characters`,
    );
  }
  return { description };
}
