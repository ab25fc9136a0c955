/**
 * ferry's layers, lowest first. A module may import its own layer and the layers below it, never
 * one above; nothing outside src/engines imports an engine except through src/engines/registry.ts
 * (and src/index.ts, the library's public face, which re-exports the engine classes); and there
 * are no import cycles. `npm test` and `npm run lint` run this (ARCHITECTURE.md explains the house).
 */
const LAYERS = [
  ['util', '^src/(util/|errors\\.ts$)'],
  ['values', '^src/values/'],
  ['schema', '^src/schema/'],
  ['engine', '^src/engine/'],
  ['engines', '^src/engines/'],
  ['config', '^src/config/'],
  ['backup', '^src/backup/'],
  ['verify', '^src/verify/'],
  ['transfer', '^src/transfer/'],
  ['revisions', '^src/revisions/'],
  ['consolidate', '^src/consolidate/'],
  ['sync', '^src/sync/'],
  ['health', '^src/health/'],
  ['demo', '^src/demo/'],
  ['cli', '^src/cli/'],
  ['index', '^src/index\\.ts$'],
];
// transfer and revisions sit side by side: neither imports the other.
const SIBLINGS = { transfer: ['revisions'], revisions: ['transfer'] };

const upward = LAYERS.map(([name, path], i) => ({
  name: `no-upward-from-${name}`,
  comment: `${name} may import only itself and the layers below it (${
    LAYERS.slice(0, i)
      .map(([n]) => n)
      .join(', ') || 'none'
  }).`,
  severity: 'error',
  from: { path },
  to: {
    path: LAYERS.slice(i + 1)
      .map(([, p]) => p)
      .concat((SIBLINGS[name] ?? []).map((s) => LAYERS.find(([n]) => n === s)[1])),
  },
})).filter((r) => r.to.path.length > 0);

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'Import cycles make layers meaningless and start-up order fragile.',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'engines-only-through-the-registry',
      comment:
        'Outside src/engines, code asks the registry (registry.ts, and engine-names.ts, its light half) for an engine and its roles; it never imports an engine module.',
      severity: 'error',
      from: { path: '^src/', pathNot: ['^src/engines/', '^src/index\\.ts$'] },
      to: { path: '^src/engines/', pathNot: '^src/engines/(registry|engine-names)\\.ts$' },
    },
    {
      name: 'database-drivers-only-in-engines',
      comment: 'better-sqlite3 and pg belong to their engines.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/engines/' },
      to: { path: 'node_modules/(better-sqlite3|pg|pg-copy-streams|pg-protocol|pg-types)/' },
    },
    ...upward,
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: '^(dist|test|bench)/' },
  },
};
