import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { FerryError } from '../../src/errors.js';
import { defineConfig } from '../../src/config/define-config.js';
import { CONFIG_FILE_NAMES, findConfigFile } from '../../src/config/find-config.js';
import { loadConfig } from '../../src/config/load-config.js';
import { validateConfig, type ConfigProblem } from '../../src/config/validate-config.js';
import type { RowObject } from '../../src/config/types.js';

const root = mkdtempSync(path.join(tmpdir(), 'ferry-config-test-'));
after(() => rmSync(root, { recursive: true, force: true }));

let dirCount = 0;
/** A fresh folder holding the given files. */
function project(files: Record<string, string>): string {
  const dir = path.join(root, `p${++dirCount}`);
  mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

/** 1-based line of the first occurrence of `needle` in `text`. */
function lineOf(text: string, needle: string): number {
  const at = text.indexOf(needle);
  assert.notEqual(at, -1, `${needle} not in text`);
  return text.slice(0, at).split('\n').length;
}

/** Runs `fn`, expecting a FerryError with `code`, and returns it. */
async function ferryError(code: string, fn: () => unknown): Promise<FerryError> {
  try {
    await fn();
  } catch (err) {
    assert.ok(err instanceof FerryError, `expected a FerryError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    return err;
  }
  assert.fail(`expected FerryError ${code}, but nothing was thrown`);
}

function problemsOf(err: FerryError): ConfigProblem[] {
  return (err.data?.problems ?? []) as ConfigProblem[];
}

const EXAMPLE_JSON = `{
  "consolidate": {
    "sourceDir": ".nomic",
    "targetDir": ".nomic/consolidated",
    "backupDir": ".nomic/backup",
    "sources": {
      "debates.db": { "target": "core.db" },
      "continuum.db": {
        "target": "memory.db",
        "tables": {
          "memories": { "as": "continuum_memory", "columns": ["id", "tier", "content", "created_at"] },
          "tier_transitions": {}
        }
      }
    }
  }
}
`;

const EXAMPLE_YAML = `# same as the JSON example
consolidate:
  sourceDir: .nomic
  targetDir: .nomic/consolidated
  backupDir: .nomic/backup
  sources:
    debates.db:
      target: core.db
    continuum.db:
      target: memory.db
      tables:
        memories:
          as: continuum_memory
          columns: [id, tier, content, created_at]
        tier_transitions: {}
`;

describe('loading', () => {
  test('the JSON example loads and validates exactly', async () => {
    const dir = project({ 'ferry.config.json': EXAMPLE_JSON });
    const loaded = await loadConfig({ cwd: dir });
    assert.deepEqual(loaded.config, JSON.parse(EXAMPLE_JSON));
    assert.equal(loaded.file, path.join(dir, 'ferry.config.json'));
    assert.equal(loaded.dir, dir);
  });

  test('the YAML equivalent loads to the same config', async () => {
    for (const name of ['ferry.config.yaml', 'ferry.config.yml']) {
      const dir = project({ [name]: EXAMPLE_YAML });
      const loaded = await loadConfig({ cwd: dir });
      assert.deepEqual(loaded.config, JSON.parse(EXAMPLE_JSON));
      assert.equal(loaded.file, path.join(dir, name));
    }
  });

  test('an empty YAML table entry means "move it as it is"', async () => {
    const dir = project({ 'ferry.config.yaml': EXAMPLE_YAML.replace('tier_transitions: {}', 'tier_transitions:') });
    const loaded = await loadConfig({ cwd: dir });
    assert.deepEqual(loaded.config.consolidate?.sources['continuum.db'].tables?.tier_transitions, {});
  });

  test('a TS config with defineConfig and a transform function loads, and the function is callable', async () => {
    const defineConfigModule = fileURLToPath(new URL('../../src/config/define-config.js', import.meta.url));
    const dir = project({
      'ferry.config.ts': `import { defineConfig } from ${JSON.stringify(defineConfigModule)};

interface Row { [column: string]: unknown }

export default defineConfig({
  consolidate: {
    sourceDir: '.nomic',
    targetDir: '.nomic/consolidated',
    sources: {
      'continuum.db': {
        target: 'memory.db',
        onConflict: 'skip',
        tables: {
          memories: {
            columns: ['id', 'content'],
            transform: (row: Row) => ({ ...row, content: String(row.content).toUpperCase() }),
          },
          notes: { transform: { body: 'trim(body)' } },
        },
      },
    },
  },
});
`,
    });
    const loaded = await loadConfig({ cwd: dir });
    const source = loaded.config.consolidate?.sources['continuum.db'];
    assert.equal(source?.onConflict, 'skip');
    const transform = source?.tables?.memories.transform;
    assert.equal(typeof transform, 'function');
    const row: RowObject = { id: 1n, content: 'hello' };
    assert.deepEqual((transform as (r: RowObject) => RowObject)(row), { id: 1n, content: 'HELLO' });
    assert.deepEqual(source?.tables?.notes.transform, { body: 'trim(body)' });
  });

  test('plain JS configs load, as ESM default export and as module.exports', async () => {
    const esm = project({ 'ferry.config.mjs': 'export default { backup: { dir: "backups" } };\n' });
    assert.deepEqual((await loadConfig({ cwd: esm })).config, { backup: { dir: 'backups' } });
    const cjs = project({ 'ferry.config.js': 'module.exports = { backup: { dir: "backups" } };\n' });
    assert.deepEqual((await loadConfig({ cwd: cjs })).config, { backup: { dir: 'backups' } });
  });

  test('a JS config without a default export is rejected', async () => {
    const dir = project({ 'ferry.config.mjs': 'export const consolidate = {};\n' });
    const err = await ferryError('CONFIG_INVALID', () => loadConfig({ cwd: dir }));
    assert.match(err.message, /no default export/);
  });

  test('a config that throws while running names the file and line', async () => {
    const dir = project({ 'ferry.config.ts': 'const n: number = 1;\n\nthrow new Error("boom " + n);\n' });
    const err = await ferryError('CONFIG_INVALID', () => loadConfig({ cwd: dir }));
    assert.match(err.message, /ferry\.config\.ts:3 failed while loading: boom 1/);
    assert.equal(err.data?.line, 3);
  });

  test('no config file: empty config by default, CONFIG_NOT_FOUND with an example when required', async () => {
    const dir = project({});
    assert.deepEqual(await loadConfig({ cwd: dir }), { config: {}, file: null, dir });
    const err = await ferryError('CONFIG_NOT_FOUND', () => loadConfig({ cwd: dir, required: true }));
    assert.match(err.hint ?? '', /ferry\.config\.json/);
    assert.match(err.hint ?? '', /"sourceDir"/);
  });
});

describe('discovery', () => {
  test('files are preferred in the documented order', () => {
    const files = Object.fromEntries(CONFIG_FILE_NAMES.map((name) => [name, '{}']));
    const dir = project(files);
    for (const name of CONFIG_FILE_NAMES) {
      assert.equal(findConfigFile(dir), path.join(dir, name));
      unlinkSync(path.join(dir, name));
    }
    assert.equal(findConfigFile(dir), null);
    assert.deepEqual(CONFIG_FILE_NAMES, [
      'ferry.config.json',
      'ferry.config.yaml',
      'ferry.config.yml',
      'ferry.config.ts',
      'ferry.config.mts',
      'ferry.config.js',
      'ferry.config.mjs',
    ]);
  });

  test('--config PATH wins over discovery and sets dir to its folder', async () => {
    const dir = project({
      'ferry.config.json': '{ "backup": { "dir": "from-cwd" } }',
      'conf/other.yaml': 'backup:\n  dir: from-explicit\n',
    });
    assert.equal(findConfigFile(dir, 'conf/other.yaml'), path.join(dir, 'conf/other.yaml'));
    const loaded = await loadConfig({ cwd: dir, configPath: 'conf/other.yaml' });
    assert.deepEqual(loaded.config, { backup: { dir: 'from-explicit' } });
    assert.equal(loaded.dir, path.join(dir, 'conf'));
  });

  test('a missing --config path is CONFIG_NOT_FOUND naming the path', async () => {
    const dir = project({ 'ferry.config.json': '{}' });
    const err = await ferryError('CONFIG_NOT_FOUND', () => loadConfig({ cwd: dir, configPath: 'nope/ferry.json' }));
    assert.match(err.message, /nope\/ferry\.json/);
    assert.equal(err.subject, path.join(dir, 'nope/ferry.json'));
    await ferryError('CONFIG_NOT_FOUND', () => findConfigFile(dir, 'nope'));
    // A folder is not a config file either.
    mkdirSync(path.join(dir, 'sub'));
    const folder = await ferryError('CONFIG_NOT_FOUND', () => findConfigFile(dir, 'sub'));
    assert.match(folder.message, /is a folder/);
  });

  test('an unknown extension given with --config is a usage error', async () => {
    const dir = project({ 'ferry.toml': '' });
    await ferryError('USAGE', () => loadConfig({ cwd: dir, configPath: 'ferry.toml' }));
  });
});

describe('syntax errors', () => {
  test('JSON: the message names the file, line and column (positioned message)', async () => {
    const text = EXAMPLE_JSON.replace('"tier", "content"', '"tier" "content"');
    const dir = project({ 'ferry.config.json': text });
    const err = await ferryError('CONFIG_SYNTAX', () => loadConfig({ cwd: dir }));
    const line = lineOf(text, '"tier" "content"');
    const column = text.split('\n')[line - 1].indexOf('"content"') + 1;
    assert.match(err.message, new RegExp(`ferry\\.config\\.json:${line}:${column}: Expected ',' or ']' after array element\\.$`));
    assert.equal(err.data?.line, line);
    assert.equal(err.subject, path.join(dir, 'ferry.config.json'));
  });

  test('JSON: errors whose message has no position still get a line (trailing comma in a list)', async () => {
    const text = EXAMPLE_JSON.replace('"created_at"]', '"created_at",]');
    const dir = project({ 'ferry.config.json': text });
    const err = await ferryError('CONFIG_SYNTAX', () => loadConfig({ cwd: dir }));
    const line = lineOf(text, '"created_at",]');
    const column = text.split('\n')[line - 1].indexOf(',]') + 2;
    assert.match(err.message, new RegExp(`ferry\\.config\\.json:${line}:${column}: `));
  });

  test('JSON: a comment and a truncated file are located too', async () => {
    const comment = '{\n  "backup": {\n    // where backups go\n    "dir": "b"\n  }\n}\n';
    let err = await ferryError('CONFIG_SYNTAX', () => loadConfig({ cwd: project({ 'ferry.config.json': comment }) }));
    assert.match(err.message, /ferry\.config\.json:3:5: /);
    const unclosed = '{\n  "backup": {\n    "dir": "b"\n\n';
    err = await ferryError('CONFIG_SYNTAX', () => loadConfig({ cwd: project({ 'ferry.config.json': unclosed }) }));
    assert.match(err.message, /ferry\.config\.json:3:15: Expected ',' or '}' after property value/);
    const truncated = '{\n  "backup": {\n    "dir": \n\n';
    err = await ferryError('CONFIG_SYNTAX', () => loadConfig({ cwd: project({ 'ferry.config.json': truncated }) }));
    assert.match(err.message, /ferry\.config\.json:3:11: Unexpected end of JSON input/);
  });

  test('YAML: the message names the file and line', async () => {
    const text = EXAMPLE_YAML.replace('columns: [id, tier, content, created_at]', 'columns: [id, tier, content, created_at');
    const dir = project({ 'ferry.config.yaml': text });
    const err = await ferryError('CONFIG_SYNTAX', () => loadConfig({ cwd: dir }));
    assert.match(err.message, /ferry\.config\.yaml:\d+:\d+: /);
    assert.equal(typeof err.data?.line, 'number');
    assert.ok((err.data?.line as number) >= lineOf(text, 'columns:'));
    // yaml's code frame stays out of the one-line message.
    assert.doesNotMatch(err.message, /\n/);
  });

  test('YAML: a bad indent is reported at its line', async () => {
    const text = 'backup:\n  dir: a\n dir2: b\n';
    const err = await ferryError('CONFIG_SYNTAX', () => loadConfig({ cwd: project({ 'ferry.config.yml': text }) }));
    assert.equal(err.data?.line, 3);
  });

  test('TS: a syntax error becomes CONFIG_SYNTAX with file, line and column', async () => {
    const text = "const x: number = 1;\nexport default {\n  consolidate: {\n    sourceDir: 'a',,\n  },\n};\n";
    const dir = project({ 'ferry.config.ts': text });
    const err = await ferryError('CONFIG_SYNTAX', () => loadConfig({ cwd: dir }));
    assert.match(err.message, /ferry\.config\.ts:4:20: Unexpected token/);
    assert.equal(err.data?.line, 4);
  });
});

describe('validation', () => {
  test('an unknown key names its full path and line and suggests the right key', async () => {
    const text = EXAMPLE_JSON.replace('"columns"', '"colums"');
    const dir = project({ 'ferry.config.json': text });
    const err = await ferryError('CONFIG_INVALID', () => loadConfig({ cwd: dir }));
    const keyPath = 'consolidate.sources["continuum.db"].tables.memories.colums';
    const line = lineOf(text, '"colums"');
    assert.ok(err.message.includes(keyPath), err.message);
    assert.ok(err.message.includes(`ferry.config.json:${line}:`), err.message);
    assert.match(err.message, /did you mean "columns"\?/);
    assert.equal(err.subject, keyPath);
    assert.match(err.hint ?? '', /as, columns, transform, onConflict/);
    assert.deepEqual(
      problemsOf(err).map((p) => [p.path, p.line]),
      [[keyPath, line]],
    );
  });

  test('the same unknown key in YAML is found at its YAML line', async () => {
    const text = EXAMPLE_YAML.replace('columns:', 'colums:');
    const err = await ferryError('CONFIG_INVALID', () => loadConfig({ cwd: project({ 'ferry.config.yaml': text }) }));
    assert.equal(problemsOf(err)[0].line, lineOf(text, 'colums:'));
    assert.match(err.message, /did you mean "columns"/);
  });

  test('a misspelled required key is reported once, as unknown with a suggestion', () => {
    const err = catchSync(() => validateConfig({ consolidate: { sourcedir: 'a', targetDir: 'b', sources: { 'a.db': { target: 'a.db' } } } }, { file: null }));
    assert.deepEqual(
      problemsOf(err).map((p) => p.path),
      ['consolidate.sourcedir'],
    );
    assert.match(err.message, /did you mean "sourceDir"/);
  });

  test('wrong types are reported with their paths, all of them in data.problems', () => {
    const raw = {
      $schema: 'https://example.com/ferry.schema.json',
      consolidate: {
        sourceDir: 42,
        targetDir: '',
        sources: {
          'a.db': { target: 'sub/a.db', tables: { t: { as: '', columns: ['id', 'id'], transform: { x: '' } } } },
          'b.db': { target: 'b.db', tables: ['t'] },
          'c.db': 'core.db',
        },
      },
      backup: { dir: 7 },
    };
    const err = catchSync(() => validateConfig(raw, { file: '/x/ferry.config.json' }));
    assert.match(err.message, /^Invalid config \/x\/ferry\.config\.json: consolidate\.sourceDir must be a non-empty string, not number 42\./);
    assert.match(err.message, /\(and \d+ more problems\)/);
    assert.deepEqual(
      problemsOf(err).map((p) => p.path),
      [
        'consolidate.sourceDir',
        'consolidate.targetDir',
        'consolidate.sources["a.db"].target',
        'consolidate.sources["a.db"].tables.t.as',
        'consolidate.sources["a.db"].tables.t.columns[1]',
        'consolidate.sources["a.db"].tables.t.transform.x',
        'consolidate.sources["b.db"].tables',
        'consolidate.sources["c.db"]',
        'backup.dir',
      ],
    );
    assert.ok(
      problemsOf(err).every((p) => p.line === undefined),
      'no text, no lines',
    );
  });

  test('missing and empty required sections', () => {
    let err = catchSync(() => validateConfig({ consolidate: { sourceDir: 'a', targetDir: 'b' } }, { file: null }));
    assert.deepEqual(
      problemsOf(err).map((p) => p.path),
      ['consolidate.sources'],
    );
    err = catchSync(() => validateConfig({ consolidate: { sourceDir: 'a', targetDir: 'b', sources: {} } }, { file: null }));
    assert.match(err.message, /consolidate\.sources is empty/);
    err = catchSync(() => validateConfig([], { file: null }));
    assert.match(err.message, /must be an object/);
    err = catchSync(() => validateConfig({ consolidat: {} }, { file: null }));
    assert.match(err.message, /Unknown key consolidat; did you mean "consolidate"\?/);
  });

  test('a missing required key points at its parent line', () => {
    const text = EXAMPLE_JSON.replace('"targetDir": ".nomic/consolidated",', '');
    const err = catchSync(() => validateConfig(JSON.parse(text), { file: '/x/ferry.config.json', text }));
    assert.equal(problemsOf(err)[0].path, 'consolidate.targetDir');
    assert.equal(problemsOf(err)[0].line, lineOf(text, '"consolidate"'));
  });

  test('a bad onConflict value lists the allowed ones and suggests the nearest', async () => {
    const text = EXAMPLE_JSON.replace('"target": "memory.db",', '"target": "memory.db", "onConflict": "replce",');
    const err = await ferryError('CONFIG_INVALID', () => loadConfig({ cwd: project({ 'ferry.config.json': text }) }));
    assert.match(
      err.message,
      /consolidate\.sources\["continuum\.db"\]\.onConflict must be one of "error", "skip", "replace", not the string "replce"; did you mean "replace"\?/,
    );
    assert.equal(problemsOf(err)[0].line, lineOf(text, '"replce"'));
    const other = catchSync(() =>
      validateConfig({ consolidate: { sourceDir: 'a', targetDir: 'b', onConflict: 3, sources: { 'a.db': { target: 'a.db' } } } }, { file: null }),
    );
    assert.match(other.message, /consolidate\.onConflict must be one of .*, not number 3\.$/);
  });

  test('valid values pass through, $schema is dropped, and a source named __proto__ stays data', () => {
    const raw = JSON.parse(
      '{ "$schema": "x", "consolidate": { "sourceDir": "a", "targetDir": "b", "onConflict": "skip", "sources": { "__proto__": { "target": "p.db" } } } }',
    );
    const config = validateConfig(raw, { file: null });
    assert.equal(Object.getPrototypeOf(config.consolidate?.sources), Object.prototype);
    assert.deepEqual(Object.keys(config.consolidate?.sources ?? {}), ['__proto__']);
    assert.equal(config.consolidate?.onConflict, 'skip');
    assert.equal('$schema' in config, false);
  });

  test('defineConfig returns its argument', () => {
    const config = { backup: { dir: 'b' } };
    assert.equal(defineConfig(config), config);
  });
});

function catchSync(fn: () => unknown): FerryError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof FerryError, String(err));
    return err;
  }
  assert.fail('expected a FerryError');
}

test('revisions.lockTimeout and the databases section are checked, each problem named', () => {
  const ok = validateConfig(
    {
      revisions: { lockTimeout: '5s' },
      databases: { main: { urlEnv: 'DATABASE_URL', requiredTables: ['users', { table: 'orders', columns: ['id'] }], timeout: '2s', required: false } },
    },
    { file: null },
  );
  assert.equal(ok.revisions?.lockTimeout, '5s');
  assert.deepEqual(ok.databases?.main?.requiredTables, ['users', { table: 'orders', columns: ['id'] }]);
  const err = catchSync(() =>
    validateConfig({ revisions: { lockTimeout: 'soon' }, databases: { main: { requiredTables: [3], timeout: 'later' } } }, { file: null }),
  );
  const problems = problemsOf(err)
    .map((p) => p.message)
    .join('\n');
  assert.match(problems, /revisions\.lockTimeout must be a duration/);
  assert.match(problems, /databases\.main needs "url" or "urlEnv"/);
  assert.match(problems, /databases\.main\.requiredTables must list table names/);
  assert.match(problems, /databases\.main\.timeout must be a duration/);
});
