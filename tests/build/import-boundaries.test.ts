/**
 * The import rules `npm run check` enforces (scripts/check-imports.ts with .dependency-cruiser.mjs):
 * each planted violation in a scratch tree laid out like the repository is caught by its rule, and
 * the repository itself has none.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkImports, type ImportProblem } from '../../scripts/check-imports';

const CLEAN: Record<string, string> = {
  'tsconfig.json': JSON.stringify({
    // baseUrl: the path mapping's resolver otherwise takes paths from the working directory.
    compilerOptions: { strict: true, baseUrl: '.', paths: { '@/*': ['./*'] } },
  }),
  'lib/contract/denial.ts': "export const CLOUDS = ['aws'] as const;\n",
  'lib/risk/index.ts': "import { CLOUDS } from '../contract/denial';\nexport const risk = CLOUDS;\n",
  'lib/extension/broker-client.ts': 'export const client = 1;\n',
  'lib/messaging/messages.ts': "import { CLOUDS } from '../contract/denial';\nexport const m = CLOUDS;\n",
  'lib/content/watcher.ts': "import { m } from '../messaging/messages';\nexport const w = m;\n",
  'components/Popup.tsx':
    "import { client } from '@/lib/extension/broker-client';\nexport const p = client;\n",
  'server/main.ts':
    "import { risk } from '../lib/risk';\nimport fs from 'node:fs';\nexport const s = [risk, fs];\n",
  'sim/broker.ts': "import { s } from '../server/main';\nexport const b = s;\n",
  'bin/launch.js': "export const load = () => import('../sim/broker.ts');\n",
  'cli/main.ts': "import { risk } from '../lib/risk';\nexport const c = risk;\n",
};

/** Each planted file and the rule that must catch it. */
const PLANTED: [rule: string, file: string, text: string][] = [
  ['shared-core-is-pure', 'lib/denial/parse.ts', "import fs from 'node:fs';\nexport const x = fs;\n"],
  [
    'shared-core-is-pure',
    'lib/risk/ui.ts',
    "import { p } from '../../components/Popup';\nexport const x = p;\n",
  ],
  [
    'extension-no-node',
    'entrypoints/background.ts',
    "import path from 'node:path';\nexport const x = path;\n",
  ],
  [
    'extension-not-into-node-folders',
    'components/Broker.tsx',
    "import { s } from '../server/main';\nexport const x = s;\n",
  ],
  [
    'content-side-holds-no-token',
    'lib/content/handoff.ts',
    "import { client } from '@/lib/extension/broker-client';\nexport const x = client;\n",
  ],
  [
    'node-not-into-extension',
    'cli/popup.ts',
    "import { p } from '../components/Popup';\nexport const x = p;\n",
  ],
  [
    'production-no-sim-or-tests',
    'server/demo.ts',
    "import { b } from '../sim/broker';\nexport const x = b;\n",
  ],
  [
    'bin-loads-sim-only-lazily',
    'bin/eager.js',
    "import { b } from '../sim/broker.ts';\nexport const x = b;\n",
  ],
  ['imports-resolve', 'server/typo.ts', "import { s } from './mian';\nexport const x = s;\n"],
  ['no-cycles', 'server/a.ts', "import { y } from './b';\nexport const x = 1;\nexport const z = y;\n"],
  ['no-folder-cycles', 'lib/contract/api.ts', "import { risk } from '../risk';\nexport const x = risk;\n"],
];
const CYCLE_PARTNER = { 'server/b.ts': "import { x } from './a';\nexport const y = x;\n" };

let scratch: string;
const write = (root: string, files: Record<string, string>) => {
  for (const [file, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    fs.writeFileSync(path.join(root, file), text);
  }
};

beforeAll(() => {
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'unblock-imports-'));
});
afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

describe('import boundaries', () => {
  it('pass on a clean tree laid out like the repository', async () => {
    const root = path.join(scratch, 'clean');
    write(root, CLEAN);
    expect(await checkImports(root)).toEqual([]);
  }, 60_000);

  it.each(PLANTED)(
    '%s catches %s',
    async (rule, file, text) => {
      const root = path.join(scratch, rule, path.basename(file));
      write(root, { ...CLEAN, [file]: text, ...(rule === 'no-cycles' ? CYCLE_PARTNER : {}) });
      const problems: ImportProblem[] = await checkImports(root);
      expect(problems.map((p) => p.rule)).toContain(rule);
      expect(problems.filter((p) => p.rule === rule).some((p) => p.from.includes(path.dirname(file)))).toBe(
        true,
      );
    },
    60_000,
  );

  it('hold in the repository', async () => {
    expect(await checkImports()).toEqual([]);
  }, 120_000);
});
