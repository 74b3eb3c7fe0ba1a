import { gzipSync } from 'node:zlib';
import { LAMBDA_ENVIRONMENT_BYTES } from '../../common/aws-limits';

/**
 * Lambda allows 4 KB for all environment variables of a function together (keys and values):
 * https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html. The config gets what the
 * other variables leave (NODE_OPTIONS, and the Parameters and Secrets extension's nine variables with
 * browser sessions: about 370 bytes), with room to spare for variables CDK or the user add later.
 */
export const CONFIG_ENV_BUDGET_BYTES = LAMBDA_ENVIRONMENT_BYTES - 512;

export const GZIP_PREFIX = 'gz:';

/**
 * Encodes the config JSON for the environment: as is when it fits, else `gz:` + base64 of gzip (which
 * the authorizer inflates at cold start). Returns undefined when even the compressed form does not fit.
 * gzip is deterministic for the same input and level, so the template stays stable between syntheses.
 */
export function encodeConfigForEnv(json: string, budget = CONFIG_ENV_BUDGET_BYTES): string | undefined {
  if (Buffer.byteLength(json, 'utf8') <= budget) return json;
  const packed = `${GZIP_PREFIX}${gzipSync(Buffer.from(json, 'utf8'), { level: 9 }).toString('base64')}`;
  return packed.length <= budget ? packed : undefined;
}
