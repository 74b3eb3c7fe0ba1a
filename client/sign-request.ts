/**
 * SigV4 signing for Keygate's AWS_IAM routes, with @smithy/signature-v4 (the signer the AWS SDK for
 * JavaScript v3 uses) and the SDK's default credential chain. Nothing here computes a signature by hand.
 *
 * API Gateway verifies the signature of IAM-authorized routes with the service name `execute-api`
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-control-access-using-iam-policies-to-invoke-api.html).
 */
import { Sha256 } from '@aws-crypto/sha256-js';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';

export const EXECUTE_API = 'execute-api';

/** AWS credentials (temporary ones carry a session token). */
export interface AwsCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
  readonly expiration?: Date;
}
export type AwsCredentialsProvider = () => Promise<AwsCredentials>;

export interface SignerOptions {
  readonly region: string;
  /** @default 'execute-api' */
  readonly service?: string;
  /** @default - the default credential chain (env, SSO, shared files, web identity, ECS, EC2 IMDS) */
  readonly credentials?: AwsCredentials | AwsCredentialsProvider;
  /**
   * Also send the payload hash as `x-amz-content-sha256` (S3 wants it; API Gateway does not, and the body
   * hash is part of the signature either way).
   * @default false
   */
  readonly signBodyHeader?: boolean;
}

/** A SignatureV4 signer for the given region and service. */
export function createSigner(options: SignerOptions): SignatureV4 {
  return new SignatureV4({
    region: options.region,
    service: options.service ?? EXECUTE_API,
    credentials: options.credentials ?? defaultProvider(),
    sha256: Sha256,
    // Non-S3 services take the path URI-encoded once more than it is sent
    // (https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html).
    uriEscapePath: true,
    applyChecksum: options.signBodyHeader ?? false,
  });
}

export interface RequestToSign {
  readonly method: string;
  readonly url: string | URL;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string | Uint8Array;
}

export interface SignedRequest {
  readonly method: string;
  readonly url: string;
  /** Every header to send, `authorization`, `x-amz-date` and (with temporary credentials) `x-amz-security-token` included. */
  readonly headers: Record<string, string>;
  readonly body?: string | Uint8Array;
}

const REGION_IN_HOST = /\.execute-api\.([a-z]{2}(?:-[a-z]+)+-\d)\.amazonaws\.com(?:\.cn)?$/;

/** The region of an `https://<id>.execute-api.<region>.amazonaws.com` URL, if it is one. */
export function regionFromUrl(url: string | URL): string | undefined {
  return REGION_IN_HOST.exec(new URL(url).hostname)?.[1];
}

/** Signs a request to an API Gateway URL. */
export async function signRequest(
  request: RequestToSign,
  options: Partial<SignerOptions> = {},
): Promise<SignedRequest> {
  const url = new URL(request.url);
  const region =
    options.region ?? regionFromUrl(url) ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
  if (!region) {
    throw new Error(`cannot tell the region of ${url.host}: pass a region (or set AWS_REGION)`);
  }
  const query: Record<string, string | string[]> = {};
  for (const [k, v] of url.searchParams) {
    const prev = query[k];
    query[k] = prev === undefined ? v : [...(Array.isArray(prev) ? prev : [prev]), v];
  }
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(request.headers ?? {})) headers[k.toLowerCase()] = v;
  // The host header is signed; fetch then sends exactly url.host.
  headers.host = url.host;
  const httpRequest = new HttpRequest({
    method: request.method.toUpperCase(),
    protocol: url.protocol,
    hostname: url.hostname,
    port: url.port ? Number(url.port) : undefined,
    // The path as it goes on the wire (already percent-encoded by URL); the signer encodes it once more.
    path: url.pathname,
    query,
    headers,
    body: request.body,
  });
  const signer = createSigner({ ...options, region });
  const signed = await signer.sign(httpRequest);
  return {
    method: httpRequest.method,
    url: url.toString(),
    headers: { ...signed.headers },
    body: request.body,
  };
}

/**
 * The signed headers to hand to fetch: all but `host`, which fetch derives from the URL (the same value
 * that was signed) and does not let a caller set.
 */
export function headersForFetch(signed: SignedRequest): Record<string, string> {
  return Object.fromEntries(Object.entries(signed.headers).filter(([k]) => k !== 'host'));
}
