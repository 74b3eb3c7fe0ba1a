/**
 * The jose functions DPoP proof verification uses, in a module of their own: dpop.ts imports it
 * dynamically, so esbuild bundles only these (tree-shaken) and evaluates them on the first proof, never
 * at the cold start of an authorizer without DPoP.
 */
export { EmbeddedJWK, calculateJwkThumbprint, jwtVerify } from 'jose';
