import { defineConfig } from 'vitest/config';

/**
 * The real-Keycloak suite (`npm run test:keycloak`): test/keycloak/, against ONE Keycloak server that the
 * global setup starts for the whole run (scripts/keycloak.ts), or the one `KEYCLOAK_URL` names. Files run
 * one after another: they share the server, and some of them change its keys and users.
 */
export default defineConfig({
  test: {
    include: ['test/keycloak/**/*.test.ts'],
    environment: 'node',
    testTimeout: 60_000,
    hookTimeout: 300_000,
    pool: 'forks',
    fileParallelism: false,
    globalSetup: ['test/keycloak/global-setup.ts'],
  },
});
