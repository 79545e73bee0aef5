/**
 * Import boundaries, checked by `npm run check` (scripts/check-imports.ts, which also refuses
 * cycles between folders). Each runtime has its folders; the arrows between them are in
 * docs/architecture.md. Paths are relative to the repository root.
 */

/** The pure cores shared by extension, CLI and broker: text in, data out; no runtime APIs. */
const SHARED_CORE = '^lib/(?!(extension|background|content|messaging)/)';
/** Code that runs inside the browser extension, on either side. */
const EXTENSION = '^(entrypoints|components)/|^lib/(extension|background|content|messaging)/';
/** The content side: runs in console pages, next to page scripts; must never hold a token. */
const CONTENT_SIDE =
  '^lib/content/|^entrypoints/(content|banner)\\.ts$|^components/(Banner|BannerStack|banner-controller)\\.tsx$|^components/banner/';
/** What ships: the extension, the shared core, the broker and the CLI. */
const PRODUCTION = '^(lib|components|entrypoints|server|cli)/';
/** Node runtimes outside the extension. */
const NODE_ONLY = '^(server|cli|sim|bench|bin|scripts|tests)/';

/** @type {import('dependency-cruiser').IConfiguration} */
export default {
  forbidden: [
    {
      name: 'shared-core-is-pure',
      comment:
        'lib/ cores (contract, denial, risk, the per-cloud and per-deny-kind tables) run in the extension, the CLI and the broker alike: they import only each other and zod.',
      severity: 'error',
      from: { path: SHARED_CORE },
      to: { pathNot: [SHARED_CORE, '^node_modules/zod/'] },
    },
    {
      name: 'extension-no-node',
      comment:
        'Extension code runs in the browser: no Node built-ins, no broker, CLI, simulator or test code.',
      severity: 'error',
      from: { path: EXTENSION },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'extension-not-into-node-folders',
      severity: 'error',
      from: { path: EXTENSION },
      to: { path: NODE_ONLY },
    },
    {
      name: 'content-side-holds-no-token',
      comment:
        'Content scripts share the page: they talk to the background through lib/messaging/ and never load the broker or auth clients, settings, or background code.',
      severity: 'error',
      from: { path: CONTENT_SIDE },
      to: { path: '^lib/(extension|background)/|^components/(popup|sidebar)/' },
    },
    {
      name: 'node-not-into-extension',
      comment: 'The broker and the CLI share only the pure core with the extension.',
      severity: 'error',
      from: { path: '^(server|cli)/' },
      to: { path: EXTENSION },
    },
    {
      name: 'production-no-sim-or-tests',
      comment:
        'The product never loads its simulators, tests or benchmarks; the launchers in bin/ hand sim/ over where the demo needs it.',
      severity: 'error',
      from: { path: PRODUCTION },
      to: { path: '^(sim|tests|bench)/' },
    },
    {
      name: 'bin-loads-sim-only-lazily',
      comment: 'bin/unblock-server.js may load sim/broker.ts for the demo, only when `start` needs it.',
      severity: 'error',
      from: { path: '^bin/' },
      to: { path: '^sim/', dependencyTypesNot: ['dynamic-import'] },
    },
    {
      name: 'nothing-imports-tests-or-bench',
      severity: 'error',
      from: { pathNot: '^(tests|bench)/' },
      to: { path: '^(tests|bench)/' },
    },
    {
      name: 'imports-resolve',
      comment: 'An import nothing answers to is a typo or a missing dependency.',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
    {
      name: 'no-cycles',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|\\.output|\\.wxt)/|^tests/fixtures/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.tsx', '.js', '.mjs', '.cjs', '.d.ts'],
    },
  },
};
