/**
 * Time-based one-time passwords (RFC 6238 over RFC 4226's HOTP), as Keycloak's default OTP policy
 * computes them (HmacSHA1, 6 digits, 30 s; the key is the UTF-8 bytes of the credential's secret,
 * TimeBasedOTP in Keycloak), so the real-Keycloak suite can set up and answer an OTP form like an
 * authenticator app. Test support only: node's HMAC, nothing else.
 */
import { createHmac } from 'node:crypto';

export const TOTP_PERIOD_SECONDS = 30;

/** The time step of an instant (seconds since epoch). */
export function totpCounter(nowSeconds = Date.now() / 1000): number {
  return Math.floor(nowSeconds / TOTP_PERIOD_SECONDS);
}

/** The 6-digit code of `secret` for a time step (RFC 4226 section 5.3, dynamic truncation). */
export function totp(secret: string, counter: number): string {
  const message = Buffer.alloc(8);
  message.writeBigUInt64BE(BigInt(counter));
  const mac = createHmac('sha1', Buffer.from(secret, 'utf8')).update(message).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  const binary = mac.readUInt32BE(offset) & 0x7fffffff;
  return String(binary % 1_000_000).padStart(6, '0');
}
