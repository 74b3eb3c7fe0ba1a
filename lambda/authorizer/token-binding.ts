/**
 * The token-binding step of the pipeline: after a token verified, the bindings its route, its issuer or
 * its own `cnf` call for (common/token-binding.ts bindingNeed) are proven for this request: the DPoP proof
 * (dpop.ts) with its jti used once (replay-store.ts), and the client certificate (mtls-binding.ts).
 * Synchronous when nothing needs proving or only a certificate does; a promise when a proof is checked.
 * Never throws.
 */
import type { AuthorizerConfig } from '../../common/authorizer-config';
import { DEFAULTS } from '../../common/authorizer-config';
import type { ReasonCode } from '../../common/reason-codes';
import { LOOPBACK_HOST } from '../../common/session/public-url';
import type { TokenBindingConfig } from '../../common/token-binding';
import { DPOP_DEFAULTS, DPOP_HEADER, bindingNeed } from '../../common/token-binding';
import type { AuthorizerResponse } from './build-response';
import { checkDpopProof } from './dpop';
import { dpopChallengeResponse } from './dpop-challenge';
import { checkCertificateBinding, clientCertPem } from './mtls-binding';
import type { AuthRequest } from './parse-event';
import type { DynamoDbSdk, ReplayStore } from './replay-store';
import { DynamoDbReplayStore, MemoryReplayStore } from './replay-store';
import type { VerifiedPrincipal } from './types';

export type BindingResult = { readonly ok: true } | { readonly ok: false; readonly reason: ReasonCode };

export interface BindingCheckInput {
  /** The raw event: the client certificate is in its request context. */
  readonly event: unknown;
  readonly request: AuthRequest;
  readonly token: string;
  readonly principal: VerifiedPrincipal;
  /** Route key of the matched route, if any. */
  readonly route: string | undefined;
}

export interface BindingCheck {
  check(input: BindingCheckInput): BindingResult | Promise<BindingResult>;
  /**
   * The answer to a refused binding that carries a challenge (REST APIs, DPoP: dpop-challenge.ts), or
   * undefined for a plain 401.
   */
  challenge?(request: AuthRequest, reason: ReasonCode): AuthorizerResponse | undefined;
}

export interface BindingDeps {
  /** @default DynamoDbReplayStore on `dpop.replayTableName` (SDK from loadDynamoDb), else a MemoryReplayStore */
  readonly replayStore?: ReplayStore;
  /** How the DynamoDB replay store loads the SDK. @default dynamic import */
  readonly loadDynamoDb?: () => DynamoDbSdk;
  /** Epoch milliseconds. @default Date.now */
  readonly now?: () => number;
}

const OK: BindingResult = Object.freeze({ ok: true });

export function createBindingCheck(config: AuthorizerConfig, deps: BindingDeps = {}): BindingCheck {
  const binding: TokenBindingConfig = config.tokenBinding ?? {};
  const dpop = binding.dpop;
  const now = deps.now ?? Date.now;
  const skew = config.clockSkewSeconds ?? DEFAULTS.clockSkewSeconds;
  const maxAge = dpop?.proofMaxAgeSeconds ?? DPOP_DEFAULTS.proofMaxAgeSeconds;
  const algorithms = dpop?.algorithms ?? DPOP_DEFAULTS.algorithms;
  const store =
    deps.replayStore ??
    (dpop?.replayTableName
      ? new DynamoDbReplayStore(dpop.replayTableName, undefined, deps.loadDynamoDb)
      : new MemoryReplayStore());

  async function proveDpop(input: BindingCheckInput): Promise<BindingResult> {
    const url = requestUrl(input.request, dpop?.publicBaseUrl);
    if (url === undefined) return { ok: false, reason: 'dpop_proof_mismatch' };
    const seconds = Math.floor(now() / 1000);
    const proof = await checkDpopProof({
      proofs: input.request.header(DPOP_HEADER),
      accessToken: input.token,
      jkt: input.principal.cnf?.jkt,
      method: input.request.method,
      url,
      algorithms,
      maxAgeSeconds: maxAge,
      skewSeconds: skew,
      now: seconds,
    });
    if (!proof.ok) return proof;
    // Remembered until no proof with this iat can pass the age check any more.
    const verdict = await store.firstUse(proof.jkt, proof.jti, proof.iat + maxAge + skew, seconds);
    if (verdict === 'first') return OK;
    return {
      ok: false,
      reason: verdict === 'replayed' ? 'dpop_proof_replayed' : 'dpop_replay_store_unavailable',
    };
  }

  return {
    check(input) {
      const need = bindingNeed(binding, input.principal.issuer, input.route, input.principal.cnf);
      if (need.mtls) {
        const cert = checkCertificateBinding(clientCertPem(input.event), input.principal.cnf?.x5tS256);
        if (!cert.ok) return cert;
      }
      return need.dpop ? proveDpop(input).catch(() => FAILED) : OK;
    },
    ...(dpop ? { challenge: (request, reason) => dpopChallengeResponse(request, reason, algorithms) } : {}),
  };
}

const FAILED: BindingResult = Object.freeze({ ok: false, reason: 'internal_error' });

/**
 * The URL the client called: the configured public base URL, else `https://<domain>` (plus `/<stage>` on
 * an execute-api domain with a named stage, whose URLs carry it; `http://` on the local gateway's loopback
 * host), then the request path.
 */
export function requestUrl(request: AuthRequest, publicBaseUrl: string | undefined): string | undefined {
  if (publicBaseUrl !== undefined) return `${publicBaseUrl}${request.path}`;
  if (request.domainName === undefined) return undefined;
  const stage =
    request.domainName.includes('.execute-api.') && request.stage && request.stage !== '$default'
      ? `/${request.stage}`
      : '';
  // API Gateway serves https only; a loopback host, which no deployed API has, is the local gateway (http).
  const scheme = LOOPBACK_HOST.test(request.domainName) ? 'http' : 'https';
  return `${scheme}://${request.domainName}${stage}${request.path}`;
}
