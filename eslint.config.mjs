// ESLint flat config. The workflow rule matters most: workflow code runs in Temporal's
// deterministic sandbox, so it may not import Node built-ins or anything that does I/O. The
// structure rules keep the layers apart: only the worker loads workflows/ (everyone else goes
// through temporal/contract and temporal/starters), lib/ imports nothing from platforms/, no
// import cycles, and no workflow, signal or query is named by a string outside temporal/contract.
import { builtinModules } from 'node:module';
import js from '@eslint/js';
import importX, { createNodeResolver } from 'eslint-plugin-import-x';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const NODE_BUILTINS = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];
const IO_MODULES = [
  'knex',
  'pg',
  'objection',
  'ioredis',
  'koa',
  '@koa/*',
  'pino',
  'pino-*',
  'bcrypt',
  'nodemailer',
  'undici',
  'axios',
  '@temporalio/client',
  '@temporalio/worker',
  '@temporalio/activity',
];
const IO_FOLDERS = [
  '**/db',
  '**/db/**',
  '**/api/**',
  '**/activities',
  '**/activities/**',
  '**/events/**',
  '**/platforms/**',
  '**/notifications',
  '**/notifications/**',
  '**/scripts/**',
  '**/lib/config',
  '**/lib/logger',
  '**/lib/redis',
  '**/temporal/client',
  '**/temporal/worker',
  '**/temporal/starters',
  '**/temporal/schedules',
  '**/temporal/bloggerSyncs',
];
/** The sandbox rule: workflow code and the contract it shares with callers do no I/O. */
const SANDBOX_IMPORTS = {
  paths: NODE_BUILTINS.map((name) => ({
    name,
    message: 'Workflow code runs in a deterministic sandbox: no Node built-ins. Do this in an activity.',
  })),
  patterns: [
    {
      group: [...IO_MODULES, ...IO_FOLDERS],
      allowTypeImports: true,
      message: 'Workflow code may not do I/O: call an activity (type-only imports are fine).',
    },
  ],
};
const NO_WORKFLOWS = {
  group: ['**/workflows', '**/workflows/**'],
  message: 'Only the worker loads workflow code: use the definitions in temporal/contract and the starters in temporal/starters.',
};
const NO_PLATFORMS = {
  // A path up to the top-level platforms/ folder (lib/domain/platforms.ts is lib's own vocabulary).
  regex: '^(\\.\\./)+platforms(/|$)',
  message: 'lib/ is the ground floor: it imports nothing from platforms/ (shared facts live in lib/).',
};
const NO_UPPER_LAYERS = {
  regex: '^(\\.\\./)+(db|api|activities|temporal|scripts|notifications|events)(/|$)',
  message: 'lib/ is the ground floor: it imports nothing from the layers above it.',
};
const EVENTS_BELOW = {
  regex: '^(\\.\\./)+(db|api|activities|temporal|scripts|notifications)(/|$)',
  message: 'events/ is the event bus: it imports nothing but lib/ (payload types live in lib/domain/events.ts).',
};
const WORKFLOW_TYPE_NAMES = [
  'bloggerSync',
  'bloggerSyncReconciler',
  'dailyDigest',
  'notificationDelivery',
  'trendAnalysis',
  'trendCleanup',
  'trendDiscovery',
  'trendVideoMonitor',
];
const BY_CONTRACT =
  'Name workflows, signals and queries through temporal/contract (WORKFLOW_TYPES, workflowsOfType, the signal and query definitions), never by a string.';
/** Strings that name a workflow, signal or query outside the contract (type positions such as Workflows['x'] are fine). */
const STRING_NAMES = [
  { selector: `Literal[value=/^(${WORKFLOW_TYPE_NAMES.join('|')})$/]:not(TSLiteralType > Literal)`, message: BY_CONTRACT },
  { selector: 'Literal[value=/WorkflowType\\s*=/], TemplateElement[value.raw=/WorkflowType\\s*=/]', message: BY_CONTRACT },
  {
    selector:
      "CallExpression[callee.property.name=/^(signal|query|signalWithStart|executeUpdate|startUpdate)$/][arguments.0.type='Literal'][arguments.0.value=/^\\w+$/]",
    message: BY_CONTRACT,
  },
  {
    selector: "CallExpression[callee.property.name='signalWithStart'] Property[key.name='signal'][value.type='Literal']",
    message: BY_CONTRACT,
  },
  {
    selector: 'CallExpression[callee.name=/^define(Signal|Query|Update)$/]',
    message: 'Signal, query and update definitions live in temporal/contract.',
  },
];

const SHARED_MODULE =
  'Workflow modules are preloaded once and shared by every workflow (temporal/worker.ts WORKFLOW_BUNDLE_OPTIONS): keep state in the workflow function, not at module level.';
/** What would leak from one workflow to the next through a shared module: module-level variables and collections. */
const MODULE_STATE = [
  {
    selector: "Program > VariableDeclaration[kind!='const'], Program > ExportNamedDeclaration > VariableDeclaration[kind!='const']",
    message: SHARED_MODULE,
  },
  {
    selector:
      'Program > VariableDeclaration > VariableDeclarator > NewExpression[callee.name=/^(Map|Set|WeakMap|WeakSet|Array)$/], Program > ExportNamedDeclaration > VariableDeclaration > VariableDeclarator > NewExpression[callee.name=/^(Map|Set|WeakMap|WeakSet|Array)$/]',
    message: SHARED_MODULE,
  },
];

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', '.data/', 'test/fixtures/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node, ...globals.mocha } },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
      '@typescript-eslint/no-namespace': 'off',
      eqeqeq: ['error', 'always'],
      'no-console': 'off',
    },
  },
  {
    // No import cycles. Type-only imports do not count (they vanish at run time): workflows
    // import the Activities type from activities/, which never imports workflows/.
    files: ['**/*.ts'],
    plugins: { 'import-x': importX },
    settings: {
      'import-x/extensions': ['.ts', '.js'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
      'import-x/resolver-next': [createNodeResolver({ extensions: ['.ts', '.js', '.json', '.node'] })],
    },
    rules: {
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      'no-restricted-syntax': ['error', ...STRING_NAMES],
    },
  },
  {
    files: ['temporal/contract/**/*.ts'],
    rules: { 'no-restricted-syntax': 'off' },
  },
  {
    files: ['**/*.ts'],
    ignores: ['workflows/**'],
    rules: { '@typescript-eslint/no-restricted-imports': ['error', { patterns: [NO_WORKFLOWS] }] },
  },
  {
    // The ground floor: everything may import lib/, and lib/ imports none of the layers above it
    // (platform names and shapes live in lib/domain/platforms.ts; platforms/ imports them from there).
    files: ['lib/**/*.ts'],
    rules: { '@typescript-eslint/no-restricted-imports': ['error', { patterns: [NO_WORKFLOWS, NO_PLATFORMS, NO_UPPER_LAYERS] }] },
  },
  {
    // The event bus (publish, streams, fan-out) sits just above lib/: anything may publish through
    // it, and it imports nothing but lib/ (the events' payloads live in lib/domain/events.ts).
    files: ['events/**/*.ts'],
    rules: { '@typescript-eslint/no-restricted-imports': ['error', { patterns: [NO_WORKFLOWS, NO_PLATFORMS, EVENTS_BELOW] }] },
  },
  {
    files: ['workflows/**/*.ts'],
    ignores: ['workflows/**/*.test.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', SANDBOX_IMPORTS],
      'no-restricted-syntax': ['error', ...STRING_NAMES, ...MODULE_STATE],
    },
  },
  {
    // The contract is imported by workflows, so it obeys their sandbox; it never imports them.
    files: ['temporal/contract/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', { ...SANDBOX_IMPORTS, patterns: [...SANDBOX_IMPORTS.patterns, NO_WORKFLOWS] }],
      'no-restricted-syntax': ['error', ...MODULE_STATE],
    },
  },
);
