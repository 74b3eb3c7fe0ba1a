import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** A no-restricted-imports rule refusing imports whose path matches any of `groups`, with `message`. */
const boundary = (files, groups, message, ignores = []) => ({
  files,
  ignores,
  rules: { 'no-restricted-imports': ['error', { patterns: [{ group: groups, message }] }] },
});

export default tseslint.config(
  {
    ignores: [
      'node_modules/**',
      '.keycloak/**',
      'cdk.out/**',
      'dist/**',
      '**/*.js',
      '**/*.d.ts',
      '.jsii',
      '.stryker-tmp/**',
      'reports/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      'no-console': ['error', { allow: ['error'] }],
    },
  },
  {
    files: ['bin/**', 'scripts/**', 'test/**', 'local/**', 'client/**', 'realm/**', 'cli/**'],
    rules: { 'no-console': 'off' },
  },
  // Boundaries: what lib/ and lambda/ must agree on lives in common/, never in each other.
  boundary(
    ['lib/**/*.ts'],
    ['**/lambda/**', '**/bin/**', '**/local/**', '**/realm/**', '**/cli/**', '**/app/**', '../app', './app'],
    'lib/ ships as the construct library: share contracts through common/; never import the Lambda code, the app (bin/, lib/app/) or the tools.',
    ['lib/app/**'],
  ),
  boundary(
    ['lib/app/**/*.ts'],
    ['**/lambda/**', '**/bin/**', '**/local/**', '**/realm/**', '**/cli/**'],
    'The app builds on the constructs and common/, never on the Lambda code or the tools.',
  ),
  boundary(
    ['lambda/**/*.ts'],
    ['**/lib/**', '**/bin/**', '**/local/**', '**/realm/**', '**/cli/**'],
    'Lambda code is bundled on its own: share contracts through common/.',
  ),
  boundary(
    ['lambda/authorizer/**/*.ts'],
    // Repeats the lambda/ groups: a later no-restricted-imports setting replaces an earlier one.
    ['**/lib/**', '**/bin/**', '**/local/**', '**/realm/**', '**/cli/**', '**/sign-in/**', '**/sign-in'],
    'The authorizer is bundled on its own, without the sign-in function: share contracts (session envelope, keys, cookies) through common/.',
  ),
  boundary(
    ['common/**/*.ts'],
    [
      '**/lib/**',
      '**/lambda/**',
      '**/bin/**',
      '**/local/**',
      '**/realm/**',
      '**/cli/**',
      'aws-cdk-lib',
      'aws-cdk-lib/*',
    ],
    'common/ holds plain types and pure functions that every side imports: it imports none of them.',
  ),
);
