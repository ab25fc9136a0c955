import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../../src/config/load-config.js';
import { tempDir } from '../support/sqlite-fixtures.js';

test("a TS config can import defineConfig from 'ferry' without ferry in its node_modules", async () => {
  const dir = tempDir('tsconfig');
  fs.writeFileSync(
    path.join(dir, 'ferry.config.ts'),
    `import { defineConfig } from 'ferry';\nexport default defineConfig({ consolidate: { sourceDir: 'a', targetDir: 'b', sources: { 'x.db': { target: 'y.db', tables: { t: { transform: (row: Record<string, unknown>) => ({ ...row, n: 1 }) } } } } } });\n`,
  );
  const loaded = await loadConfig({ cwd: dir });
  const fn = loaded.config.consolidate!.sources['x.db']!.tables!.t!.transform as (r: object) => object;
  assert.deepEqual(fn({ n: 0, m: 2 }), { n: 1, m: 2 });
});

test('FERRY_CONFIG names the config when --config is not given', async () => {
  const dir = tempDir('envconfig');
  fs.writeFileSync(path.join(dir, 'custom.yaml'), 'consolidate:\n  sourceDir: s\n  targetDir: t\n  sources:\n    a.db: { target: b.db }\n');
  process.env.FERRY_CONFIG = 'custom.yaml';
  try {
    const loaded = await loadConfig({ cwd: dir });
    assert.equal(loaded.file, path.join(dir, 'custom.yaml'));
    assert.equal(loaded.config.consolidate!.sources['a.db']!.target, 'b.db');
  } finally {
    delete process.env.FERRY_CONFIG;
  }
});
