import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/**', '.keycloak/**', 'cdk.out/**', 'dist/**', '**/*.js', '**/*.d.ts', '.jsii'] },
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
    files: ['bin/**', 'scripts/**', 'test/**', 'local/**', 'client/**', 'realm/**'],
    rules: { 'no-console': 'off' },
  },
);
