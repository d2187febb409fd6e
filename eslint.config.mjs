// ESLint flat config. The workflow rule matters most: workflow code runs in Temporal's
// deterministic sandbox, so it may not import Node built-ins or anything that does I/O.
import { builtinModules } from 'node:module';
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const NODE_BUILTINS = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];
const IO_MODULES = ['knex', 'pg', 'objection', 'ioredis', 'koa', '@koa/*', 'pino', 'pino-*', 'bcrypt', 'nodemailer', 'undici', 'axios', '@temporalio/client', '@temporalio/worker', '@temporalio/activity'];
const IO_FOLDERS = ['**/db', '**/db/**', '**/api/**', '**/activities', '**/activities/**', '**/platforms/**', '**/lib/config', '**/lib/logger', '**/lib/redis', '**/temporal/client', '**/temporal/worker', '**/temporal/devServer'];

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', '.data/', 'test/fixtures/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node, ...globals.mocha } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
      '@typescript-eslint/no-namespace': 'off',
      eqeqeq: ['error', 'always'],
      'no-console': 'off',
    },
  },
  {
    // The ground floor: everything may import lib/, and lib/ imports none of the layers above it
    // (platform names and shapes live in lib/domain/platforms.ts; platforms/ imports them from there).
    files: ['lib/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', {
        patterns: [{ regex: '^(\\.\\./)+(platforms|db|api|activities|workflows|temporal|scripts)(/|$)', message: 'lib/ is the ground floor: it imports nothing from the layers above it.' }],
      }],
    },
  },
  {
    files: ['workflows/**/*.ts'],
    ignores: ['workflows/**/*.test.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', {
        paths: NODE_BUILTINS.map((name) => ({ name, message: 'Workflow code runs in a deterministic sandbox: no Node built-ins. Do this in an activity.' })),
        patterns: [
          { group: [...IO_MODULES, ...IO_FOLDERS], allowTypeImports: true, message: 'Workflow code may not do I/O: call an activity (type-only imports are fine).' },
        ],
      }],
    },
  },
);
