// ESLint flat config: typescript-eslint's type-aware recommended rules for all TypeScript, and the
// globals of each runtime per folder: the browser (and WXT's auto-imports) for the extension,
// Node for the broker, the CLI and the tooling, only what both share for the pure core in lib/.
// TypeScript itself sees every global (one tsconfig for editors), so `no-restricted-globals`
// keeps the other runtime's globals out of each folder.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';
import autoImports from './.wxt/eslint-auto-imports.mjs';

/** Extension folders: content scripts, background, extension pages, their UI. */
const EXTENSION = [
  'entrypoints/**',
  'components/**',
  'lib/extension/**',
  'lib/background/**',
  'lib/content/**',
  'lib/messaging/**',
];
/** The pure shared core: lib/ minus the extension's folders. */
const SHARED_CORE = ['lib/**'];
/** Node runtimes. */
const NODE = ['server/**', 'cli/**', 'bin/**', 'scripts/**', 'sim/**', 'bench/**', '*.js', '*.ts', '*.mjs'];

const NODE_ONLY_GLOBALS = ['process', 'Buffer', '__dirname', '__filename', 'require', 'module', 'global'].map(
  (name) => ({ name, message: `${name} is Node's: this folder runs in the browser or in both.` }),
);
const BROWSER_ONLY_GLOBALS = [
  'window',
  'document',
  'navigator',
  'location',
  'localStorage',
  'sessionStorage',
  'indexedDB',
  'chrome',
  'browser',
].map((name) => ({ name, message: `${name} is the browser's: this folder runs on Node or in both.` }));

export default tseslint.config(
  {
    ignores: ['.output/**', '.wxt/**', 'node_modules/**', 'tests/artifacts/**', 'web-ext-artifacts/**'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: { allowDefaultProject: ['*.js', '*.mjs', 'bin/*.js'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'off',
    },
  },
  {
    files: SHARED_CORE,
    ignores: EXTENSION,
    languageOptions: { globals: globals['shared-node-browser'] },
    rules: { 'no-restricted-globals': ['error', ...NODE_ONLY_GLOBALS, ...BROWSER_ONLY_GLOBALS] },
  },
  {
    files: EXTENSION,
    languageOptions: { globals: { ...globals.browser, ...globals.webextensions, ...autoImports.globals } },
    rules: { 'no-restricted-globals': ['error', ...NODE_ONLY_GLOBALS] },
  },
  {
    files: NODE,
    ignores: ['sim/consoles/pages/**', 'sim/browser/**', 'bench/**'],
    languageOptions: { globals: globals.node },
    rules: { 'no-restricted-globals': ['error', ...BROWSER_ONLY_GLOBALS] },
  },
  {
    // Puppeteer drivers: Node code whose callbacks run inside the page (`page.evaluate`).
    files: ['sim/browser/**', 'bench/**', 'tests/e2e/**'],
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
  },
  {
    // Pages of the simulated consoles: plain browser scripts.
    files: ['sim/consoles/pages/**'],
    languageOptions: { globals: globals.browser },
  },
  {
    // Unit tests run extension code under happy-dom and WXT's fake browser; broker tests on Node.
    files: ['tests/unit/**'],
    languageOptions: { globals: { ...globals.node, ...globals.browser, ...autoImports.globals } },
  },
  {
    files: ['tests/server/**', 'tests/build/**'],
    languageOptions: { globals: globals.node },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
  },
);
