/**
 * A certificate for loopback HTTPS, made at start. aws-jwt-verify fetches JWKS over https only, so the
 * local issuer serves TLS; callers trust the returned certificate (it is its own CA) instead of turning
 * certificate checks off.
 */
import { generate } from 'selfsigned';

export interface LoopbackTls {
  readonly key: string;
  readonly cert: string;
  /** The certificate to trust (self-signed: the certificate is its own CA). */
  readonly ca: string;
}

export async function loopbackCertificate(days = 2): Promise<LoopbackTls> {
  const notBeforeDate = new Date(Date.now() - 60_000);
  const notAfterDate = new Date(notBeforeDate.getTime() + days * 86_400_000);
  const pems = await generate([{ name: 'commonName', value: '127.0.0.1' }], {
    keySize: 2048,
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate,
    extensions: [
      { name: 'basicConstraints', cA: true },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, keyCertSign: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: 'localhost' },
          { type: 7, ip: '127.0.0.1' },
        ],
      },
    ],
  });
  return { key: pems.private, cert: pems.cert, ca: pems.cert };
}
