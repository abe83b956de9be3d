// Lint rules: typescript-eslint's type-aware recommended set for TypeScript, so promise
// misuse (a floating dockerode call, an async listener) is caught before it reaches a
// daemon; ESLint's recommended set for the plain JavaScript scripts and benchmarks, with
// Node's globals from the `globals` package.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const ts = ['**/*.ts'];

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', '.tap/'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked.map((config) => ({ ...config, files: ts })),
  {
    files: ts,
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
    },
  },
  {
    // tap queues subtests itself: `t.test(...)` needs no await, and async callbacks without
    // await are its idiom for "this subtest ends when its assertions do".
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-floating-promises': 'off',
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    languageOptions: {
      globals: globals.node,
    },
  },
);
