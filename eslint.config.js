import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/dist/**', 'packages/client/dist/**', '.conclave/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'off',
    },
  },
  {
    files: ['**/*.mjs', 'scripts/**', '**/bin/**'],
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        fetch: 'readonly',
        AbortSignal: 'readonly',
        URL: 'readonly',
      },
    },
  },
  {
    // The dependency rule of docs/architecture.md: rooms/ and auth/ do no I/O; client/cli never import the server.
    files: ['packages/server/src/rooms/**', 'packages/server/src/auth/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            'mediasoup',
            'ws',
            'fastify',
            'node:fs',
            'node:net',
            'node:http',
            'node:https',
            '../signaling/*',
            '../media/*',
            '../storage/*',
          ],
        },
      ],
    },
  },
  {
    files: ['packages/client/**', 'packages/protocol/**'],
    ignores: ['**/*.test.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: ['@conclave/server', '**/server/src/**', 'node:*'] }] },
  },
);
