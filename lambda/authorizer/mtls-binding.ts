/**
 * Certificate-bound access tokens (RFC 8705 section 3): the token's `cnf["x5t#S256"]` must be the
 * base64url SHA-256 of the DER client certificate of this request's mutual-TLS connection.
 *
 * API Gateway terminates mutual TLS on a custom domain, checks the chain against the truststore, and hands
 * Lambda authorizers the certificate as PEM:
 * - REST APIs (and HTTP API payload 1.0): `requestContext.identity.clientCert.clientCertPem`
 *   (https://docs.aws.amazon.com/apigateway/latest/developerguide/rest-api-mutual-tls.html);
 * - HTTP API payload 2.0: `requestContext.authentication.clientCert.clientCertPem`
 *   (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-mutual-tls.html).
 * Never throws.
 */
import { X509Certificate, createHash } from 'node:crypto';
import type { ReasonCode } from '../../common/reason-codes';

/** A PEM chain of a few certificates stays far below this; anything longer is not read. */
export const MAX_CERT_PEM_LENGTH = 16_384;

export type MtlsCheck = { readonly ok: true } | { readonly ok: false; readonly reason: ReasonCode };

/** The client certificate PEM API Gateway put in the event, if any (both payload shapes). */
export function clientCertPem(event: unknown): string | undefined {
  const ctx = field(event, 'requestContext');
  const cert =
    field(field(ctx, 'authentication'), 'clientCert') ?? field(field(ctx, 'identity'), 'clientCert');
  const pem = field(cert, 'clientCertPem');
  return typeof pem === 'string' ? pem : undefined;
}

/** base64url SHA-256 of the certificate's DER encoding, or undefined when the PEM does not parse. */
export function certificateThumbprint(pem: string): string | undefined {
  if (pem.length > MAX_CERT_PEM_LENGTH) return undefined;
  try {
    return createHash('sha256').update(new X509Certificate(pem).raw).digest('base64url');
  } catch {
    return undefined;
  }
}

export function checkCertificateBinding(pem: string | undefined, x5tS256: string | undefined): MtlsCheck {
  if (pem === undefined || pem.trim() === '') return { ok: false, reason: 'mtls_certificate_missing' };
  if (x5tS256 === undefined) return { ok: false, reason: 'mtls_binding_missing' };
  const thumbprint = certificateThumbprint(pem);
  if (thumbprint === undefined) return { ok: false, reason: 'mtls_certificate_malformed' };
  return thumbprint === x5tS256 ? { ok: true } : { ok: false, reason: 'mtls_certificate_mismatch' };
}

function field(v: unknown, name: string): unknown {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
    ? (v as Record<string, unknown>)[name]
    : undefined;
}
