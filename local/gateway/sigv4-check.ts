/**
 * Checks a Signature Version 4 request the way API Gateway checks AWS_IAM routes: the signature is
 * recomputed with @smithy/signature-v4 over exactly the headers the caller signed, with the caller's
 * signing date, and compared in constant time. Missing, malformed, stale, unknown-key and mismatched
 * signatures are each refused with API Gateway's 403 message.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-troubleshooting.html
 *
 * The payload is bound by hashing the body received, never by trusting the caller's word for it: the
 * canonical request's last line is Hex(SHA256(payload))
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html), and a signed
 * `x-amz-content-sha256` header is only a claim about that value. `UNSIGNED-PAYLOAD` is an Amazon S3
 * option (https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html) that leaves the
 * body out of the signature; accepting it would let a captured request be replayed with any body for as
 * long as its signing time is current.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { Sha256 } from '@aws-crypto/sha256-js';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';

/** Test credentials the local gateway accepts, and who API Gateway would say the caller is. */
export interface LocalIamCredential {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** When set, requests must carry it as `x-amz-security-token` (temporary credentials). */
  readonly sessionToken?: string;
  /** The caller ARN API Gateway reports (`userArn`): an assumed-role session or an IAM user. */
  readonly callerArn: string;
  /** API Gateway's `callerId` / `userId` (`AROA...:session`). */
  readonly callerId: string;
  /** Route keys (`METHOD /path`) of IAM routes the principal's IAM policy lets it invoke. */
  readonly routes: readonly string[];
}

export interface SignedRequest {
  readonly method: string;
  /** Raw path as received (percent-encoded). */
  readonly path: string;
  /** Raw query string without `?`. */
  readonly rawQuery: string;
  /** Header names lower-cased; repeated headers joined with `,`. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
}

export type SigV4Result =
  | { readonly ok: true; readonly credential: LocalIamCredential }
  | { readonly ok: false; readonly reason: SigV4Reason; readonly message: string };

export type SigV4Reason =
  | 'sigv4_missing'
  | 'sigv4_malformed'
  | 'sigv4_unknown_key'
  | 'sigv4_expired'
  | 'sigv4_scope_mismatch'
  | 'sigv4_mismatch'
  | 'sigv4_payload_unsigned'
  | 'sigv4_payload_mismatch'
  | 'sigv4_token_invalid';

/** SigV4 requests are accepted within 15 minutes of the signing time. */
export const MAX_CLOCK_SKEW_MS = 15 * 60 * 1000;

const AUTH_HEADER =
  /^AWS4-HMAC-SHA256\s+Credential=([^/\s,]+)\/(\d{8})\/([a-z0-9-]+)\/([a-z0-9-]+)\/aws4_request\s*,\s*SignedHeaders=([a-z0-9;-]+)\s*,\s*Signature=([0-9a-f]{64})$/;
const AMZ_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

const MISMATCH =
  'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access ' +
  'Key and signing method. Consult the service documentation for details.';

function amzDate(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

/** `a=1&b=%20x` → `{ a: '1', b: ' x' }`, keeping repeats; `+` stays literal as in SigV4 canonical queries. */
function parseQuery(raw: string): Record<string, string | string[]> | undefined {
  const out: Record<string, string | string[]> = {};
  if (!raw) return out;
  try {
    for (const part of raw.split('&')) {
      if (!part) continue;
      const i = part.indexOf('=');
      const k = decodeURIComponent(i < 0 ? part : part.slice(0, i));
      const v = i < 0 ? '' : decodeURIComponent(part.slice(i + 1));
      const prev = out[k];
      out[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
    }
  } catch {
    return undefined;
  }
  return out;
}

export interface SigV4CheckOptions {
  readonly region: string;
  /** @default 'execute-api' (API Gateway's signing name) */
  readonly service?: string;
  readonly credentials: readonly LocalIamCredential[];
  /** Epoch milliseconds. @default Date.now */
  readonly now?: () => number;
}

/** The parts of a SigV4 Authorization header and the signing time a request carries. */
interface ParsedSignature {
  readonly accessKeyId: string;
  readonly scopeDate: string;
  readonly scopeRegion: string;
  readonly scopeService: string;
  readonly signedHeaders: readonly string[];
  readonly signature: string;
  readonly dateHeader: string;
  readonly signingMs: number;
}

type SigV4Failure = Extract<SigV4Result, { ok: false }>;

/** The Authorization header and X-Amz-Date read as API Gateway reads them, with its messages. */
function parseSignature(req: SignedRequest): ParsedSignature | SigV4Failure {
  const header = req.headers.authorization;
  if (header === undefined || header === '') {
    return { ok: false, reason: 'sigv4_missing', message: 'Missing Authentication Token' };
  }
  const m = AUTH_HEADER.exec(header.trim());
  if (!m) {
    return {
      ok: false,
      reason: 'sigv4_malformed',
      message: "Authorization header requires 'Credential', 'Signature' and 'SignedHeaders' parameters.",
    };
  }
  const [, accessKeyId, scopeDate, scopeRegion, scopeService, signedHeaderList, signature] = m;
  const dateHeader = req.headers['x-amz-date'];
  const d = dateHeader ? AMZ_DATE.exec(dateHeader) : null;
  if (!d) {
    return {
      ok: false,
      reason: 'sigv4_malformed',
      message: 'Authorization header requires existence of either a X-Amz-Date or a Date header.',
    };
  }
  const signedHeaders = signedHeaderList.split(';');
  if (!signedHeaders.includes('host') || !signedHeaders.includes('x-amz-date')) {
    return {
      ok: false,
      reason: 'sigv4_malformed',
      message: "'Host' and 'X-Amz-Date' must be signed headers.",
    };
  }
  const signingMs = Date.UTC(+d[1], +d[2] - 1, +d[3], +d[4], +d[5], +d[6]);
  return {
    accessKeyId,
    scopeDate,
    scopeRegion,
    scopeService,
    signedHeaders,
    signature,
    dateHeader: dateHeader!,
    signingMs,
  };
}

/** Within 15 minutes of now, scoped to this date, region and service, with the credential's session token. */
function checkScope(
  req: SignedRequest,
  p: ParsedSignature,
  credential: LocalIamCredential,
  options: SigV4CheckOptions,
  service: string,
): SigV4Failure | undefined {
  const now = (options.now ?? Date.now)();
  if (p.signingMs < now - MAX_CLOCK_SKEW_MS) {
    return {
      ok: false,
      reason: 'sigv4_expired',
      message: `Signature expired: ${p.dateHeader} is now earlier than ${amzDate(now - MAX_CLOCK_SKEW_MS)} (${amzDate(now)} - 15 min.)`,
    };
  }
  if (p.signingMs > now + MAX_CLOCK_SKEW_MS) {
    return {
      ok: false,
      reason: 'sigv4_expired',
      message: `Signature not yet current: ${p.dateHeader} is still later than ${amzDate(now + MAX_CLOCK_SKEW_MS)} (${amzDate(now)} + 15 min.)`,
    };
  }
  if (
    p.scopeDate !== p.dateHeader.slice(0, 8) ||
    p.scopeRegion !== options.region ||
    p.scopeService !== service
  ) {
    return {
      ok: false,
      reason: 'sigv4_scope_mismatch',
      message: `Credential should be scoped to a valid region and service '${service}' for ${options.region}.`,
    };
  }
  const token = req.headers['x-amz-security-token'];
  if (
    (credential.sessionToken ?? undefined) !== (token || undefined) ||
    (token && !p.signedHeaders.includes('x-amz-security-token'))
  ) {
    return {
      ok: false,
      reason: 'sigv4_token_invalid',
      message: 'The security token included in the request is invalid.',
    };
  }
  return undefined;
}

export async function checkSigV4(req: SignedRequest, options: SigV4CheckOptions): Promise<SigV4Result> {
  const parsed = parseSignature(req);
  if ('ok' in parsed) return parsed;
  const service = options.service ?? 'execute-api';
  const credential = options.credentials.find((c) => c.accessKeyId === parsed.accessKeyId);
  if (!credential) {
    return {
      ok: false,
      reason: 'sigv4_unknown_key',
      message: 'The security token included in the request is invalid.',
    };
  }
  const refused = checkScope(req, parsed, credential, options, service);
  if (refused) return refused;
  const payload = checkPayloadHash(req.headers['x-amz-content-sha256'], req.body);
  if (!payload.ok) return payload;
  return recomputeSignature(req, parsed, credential, options.region, service);
}

/** The signature recomputed over the signed headers with the credential's secret, compared in constant time. */
async function recomputeSignature(
  req: SignedRequest,
  p: ParsedSignature,
  credential: LocalIamCredential,
  region: string,
  service: string,
): Promise<SigV4Result> {
  const headers: Record<string, string> = {};
  for (const name of p.signedHeaders) {
    const v = req.headers[name];
    if (v === undefined) return { ok: false, reason: 'sigv4_mismatch', message: MISMATCH };
    headers[name] = v;
  }
  const query = parseQuery(req.rawQuery);
  if (!query) return { ok: false, reason: 'sigv4_malformed', message: 'The query string is not valid.' };
  const [hostname] = headers.host.split(':');
  const request = new HttpRequest({
    method: req.method,
    protocol: 'http:',
    hostname,
    // The wire (once-encoded) path: the signer encodes it once more, as SigV4 does for every service but S3.
    path: req.path,
    query,
    headers,
    body: req.body.length > 0 ? req.body : undefined,
  });
  const signer = new SignatureV4({
    credentials: {
      accessKeyId: credential.accessKeyId,
      secretAccessKey: credential.secretAccessKey,
      ...(credential.sessionToken ? { sessionToken: credential.sessionToken } : {}),
    },
    region,
    service,
    sha256: Sha256,
    // The caller's x-amz-content-sha256, if it sent one, is among its signed headers already (and equals
    // the body's hash, checked above); adding one here would change the canonical request. Without it,
    // the signer hashes the body itself.
    applyChecksum: false,
  });
  const signed = await signer.sign(request, {
    signingDate: new Date(p.signingMs),
    signableHeaders: new Set(p.signedHeaders),
  });
  const expected = /Signature=([0-9a-f]{64})/.exec(String(signed.headers.authorization ?? ''))?.[1];
  const same =
    expected !== undefined && timingSafeEqual(Buffer.from(expected, 'hex'), Buffer.from(p.signature, 'hex'));
  if (!same) return { ok: false, reason: 'sigv4_mismatch', message: MISMATCH };
  return { ok: true, credential };
}

const UNSIGNED_PAYLOAD = /^(UNSIGNED-PAYLOAD|STREAMING-)/i;

/**
 * The caller's `x-amz-content-sha256`, when sent, must be the SHA-256 of the body received: the signer
 * below would otherwise put the header's value, not the body's hash, into the canonical request.
 */
function checkPayloadHash(
  claimed: string | undefined,
  body: Buffer,
): { readonly ok: true } | Extract<SigV4Result, { ok: false }> {
  if (claimed === undefined) return { ok: true };
  const value = claimed.trim();
  if (UNSIGNED_PAYLOAD.test(value)) {
    return {
      ok: false,
      reason: 'sigv4_payload_unsigned',
      message:
        'x-amz-content-sha256 says the payload is unsigned (UNSIGNED-PAYLOAD or a streaming mode), which ' +
        'this API does not accept: sign the body (its SHA-256 in the canonical request) instead.',
    };
  }
  const actual = createHash('sha256').update(body).digest('hex');
  if (value.toLowerCase() !== actual) {
    return {
      ok: false,
      reason: 'sigv4_payload_mismatch',
      message:
        'The provided x-amz-content-sha256 header does not match what was computed: the request body is ' +
        'not the body that was signed.',
    };
  }
  return { ok: true };
}
