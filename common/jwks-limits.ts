/**
 * Bounds on a JWKS response, for every function that fetches one. A Keycloak realm publishes a few keys
 * (about 3 KB); the bounds leave room for rotation and several algorithms while keeping a broken or
 * hostile endpoint from filling a function's memory (docs/security.md, "JWKS fetch limits").
 */
export const MAX_JWKS_BYTES = 256 * 1024;
