/**
 * The cost of sender-constrained tokens, printed by `npm run bench` after the authorizer table:
 *   jose ES256  jose jwtVerify of an ES256 JWT with a known public key (the signature alone: baseline)
 *   DPoP proof  checkDpopProof on fresh ES256 proofs: parse, import the embedded JWK, verify, check htm /
 *               htu / ath / iat, RFC 7638 thumbprint (lambda/authorizer/dpop.ts)
 *   mTLS        checkCertificateBinding: parse the PEM client certificate, SHA-256 of its DER
 * The replay store's cost is one DynamoDB PutItem per DPoP request (a network round trip in the Region,
 * one write request unit for the small item); it is not timed here, as no local server stands for it.
 * Medians of interleaved rounds, ratios within each round.
 */
import { randomUUID } from 'node:crypto';
import { SignJWT, calculateJwkThumbprint, exportJWK, generateKeyPair, jwtVerify } from 'jose';
import { DPOP_DEFAULTS } from '../common/token-binding';
import { accessTokenHash, checkDpopProof } from '../lambda/authorizer/dpop';
import { certificateThumbprint, checkCertificateBinding } from '../lambda/authorizer/mtls-binding';
import { loopbackCertificate } from '../local/issuer/tls';

const ROUNDS = 7;
const ROUND_SIZE = 300;
const URL_ = 'https://api.example.com/models/sentiment/invoke';
const TOKEN = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl';

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function opsPerSecond(n: number, op: (i: number) => unknown): Promise<number> {
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    const r = op(i);
    if (r instanceof Promise) await r;
  }
  return n / (Number(process.hrtime.bigint() - start) / 1e9);
}

export async function benchTokenBinding(): Promise<string> {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const jwk = await exportJWK(publicKey);
  const jkt = await calculateJwkThumbprint(jwk);
  const now = Math.floor(Date.now() / 1000);
  const proofs = await Promise.all(
    Array.from({ length: ROUND_SIZE }, () =>
      new SignJWT({ jti: randomUUID(), htm: 'POST', htu: URL_, iat: now, ath: accessTokenHash(TOKEN) })
        .setProtectedHeader({ typ: 'dpop+jwt', alg: 'ES256', jwk })
        .sign(privateKey),
    ),
  );
  const plain = await Promise.all(
    Array.from({ length: ROUND_SIZE }, (_, i) =>
      new SignJWT({ sub: String(i) }).setProtectedHeader({ alg: 'ES256' }).sign(privateKey),
    ),
  );
  const pem = (await loopbackCertificate()).cert;
  const x5t = certificateThumbprint(pem);
  const check = (i: number) =>
    checkDpopProof({
      proofs: [proofs[i]],
      accessToken: TOKEN,
      jkt,
      method: 'POST',
      url: URL_,
      algorithms: DPOP_DEFAULTS.algorithms,
      maxAgeSeconds: 60,
      skewSeconds: 30,
      now,
    }).then((r) => {
      if (!r.ok) throw new Error(`bench proof refused: ${r.reason}`);
    });
  const base: number[] = [];
  const dpop: number[] = [];
  const mtls: number[] = [];
  const ratio: number[] = [];
  for (let round = 0; round < ROUNDS + 2; round++) {
    const b = await opsPerSecond(ROUND_SIZE, (i) => jwtVerify(plain[i], publicKey));
    const d = await opsPerSecond(ROUND_SIZE, check);
    const m = await opsPerSecond(ROUND_SIZE, () => {
      if (!checkCertificateBinding(pem, x5t).ok) throw new Error('bench certificate refused');
    });
    if (round < 2) continue; // warm-up
    base.push(b);
    dpop.push(d);
    mtls.push(m);
    ratio.push(b / d);
  }
  const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits });
  const µs = (ops: number) => `${fmt(1e6 / ops, 1)} µs`;
  const rows = [
    ['measure', 'result', 'per request', 'ratio'],
    ['---', '---', '---', '---'],
    ['jose jwtVerify, ES256 JWT (baseline)', `${fmt(median(base))} ops/s`, µs(median(base)), '1.00×'],
    [
      'DPoP proof check, fresh ES256 proofs',
      `${fmt(median(dpop))} ops/s`,
      µs(median(dpop)),
      `${fmt(median(ratio), 2)}× baseline time`,
    ],
    ['mTLS binding check (PEM parse + SHA-256)', `${fmt(median(mtls))} ops/s`, µs(median(mtls)), ''],
    ['DPoP replay store', '1 DynamoDB PutItem per request', 'one in-Region round trip', ''],
  ];
  return [
    '',
    'Token binding',
    rows.map((r) => `| ${r.join(' | ')} |`).join('\n'),
    `Node ${process.version}; 2 untimed warm-up rounds, then ${ROUNDS} rounds of ${ROUND_SIZE}, medians.`,
  ].join('\n');
}

if (process.argv[1]?.endsWith('bench-token-binding.ts')) {
  benchTokenBinding().then(
    (table) => console.log(table),
    (e: unknown) => {
      console.error(e);
      process.exitCode = 1;
    },
  );
}
