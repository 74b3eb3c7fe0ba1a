/** The SigV4 client for Keygate's IAM routes: a typed client, the signer, and the keygate-call command. */
export { KeygateApiError, KeygateClient } from './keygate-client';
export type {
  InvokeParameters,
  InvokeResult,
  KeygateClientOptions,
  ModelSummary,
  RawResponse,
} from './keygate-client';
export { API_KEY_HEADER, ApiKeySecretError, readApiKeySecret, resolveApiKey } from './api-key';
export type { ApiKeyOptions, SecretReadOptions } from './api-key';
export { createSigner, EXECUTE_API, headersForFetch, regionFromUrl, signRequest } from './sign-request';
export type {
  AwsCredentials,
  AwsCredentialsProvider,
  RequestToSign,
  SignedRequest,
  SignerOptions,
} from './sign-request';
