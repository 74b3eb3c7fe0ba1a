/**
 * A throw-away PKI for mutual-TLS tests, made at test time with `selfsigned` (no key or certificate is
 * committed): a CA, a server certificate for 127.0.0.1 and client certificates, all signed by the CA.
 *
 *   const ca = await testCa('Keygate test CA');
 *   const server = await issueCertificate(ca, '127.0.0.1', 'server');
 *   const client = await issueCertificate(ca, 'batch-scorer', 'client');
 *   https.request({ ca: ca.cert, cert: client.cert, key: client.key, ... })
 */
import { generate } from 'selfsigned';

export interface Pki {
  /** PEM certificate. */
  readonly cert: string;
  /** PEM private key (PKCS#8). */
  readonly key: string;
}

const DAY_MS = 86_400_000;

/** A self-signed CA certificate that may sign end-entity certificates (valid one day). */
export async function testCa(commonName: string): Promise<Pki> {
  const r = await generate([{ name: 'commonName', value: commonName }], {
    keyType: 'rsa',
    keySize: 2048,
    algorithm: 'sha256',
    notBeforeDate: new Date(Date.now() - 60_000),
    notAfterDate: new Date(Date.now() + DAY_MS),
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    ],
  });
  return { cert: r.cert, key: r.private };
}

/**
 * An end-entity certificate signed by `ca`: a TLS server certificate for an IP address (`server`), or a
 * TLS client certificate with `commonName` as its subject (`client`). RSA keys throughout: every TLS stack
 * in the tests (Node.js, the JDK's) accepts them, and `selfsigned` signs with a CA key of the leaf's type.
 */
export async function issueCertificate(ca: Pki, commonName: string, use: 'server' | 'client'): Promise<Pki> {
  const r = await generate([{ name: 'commonName', value: commonName }], {
    keyType: 'rsa',
    keySize: 2048,
    algorithm: 'sha256',
    ca: { key: ca.key, cert: ca.cert },
    notBeforeDate: new Date(Date.now() - 60_000),
    notAfterDate: new Date(Date.now() + DAY_MS),
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      use === 'server'
        ? { name: 'extKeyUsage', serverAuth: true }
        : { name: 'extKeyUsage', clientAuth: true },
      ...(use === 'server'
        ? [{ name: 'subjectAltName' as const, altNames: [{ type: 7 as const, ip: commonName }] }]
        : []),
    ],
  });
  return { cert: r.cert, key: r.private };
}
