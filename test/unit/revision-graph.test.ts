import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RevisionGraph } from '../../src/revisions/revision-graph.js';
import type { Revision } from '../../src/revisions/revision-types.js';
import { FerryError, type ErrorCode } from '../../src/errors.js';

function rev(id: string, parents: string[] = [], message = `rev ${id}`): Revision {
  return { id, parents, message, file: `/m/${id}_x.sql`, kind: 'sql', up: { sql: '', line: 1 }, down: { sql: '', line: 2 }, transactional: true, checksum: '' };
}

/** a <- b <- c <- d (linear) */
const linear = () => RevisionGraph.build([rev('aaaa01'), rev('bbbb02', ['aaaa01']), rev('cccc03', ['bbbb02']), rev('dddd04', ['cccc03'])]);

/**
 *        /- b1 - b2 -\
 *  base -             m (merge) - top
 *        \- c1 ------/
 */
const branchy = () =>
  RevisionGraph.build([
    rev('f00base'),
    rev('b1', ['f00base']),
    rev('b2', ['b1']),
    rev('c1', ['f00base']),
    rev('e0merge', ['b2', 'c1']),
    rev('ff0top', ['e0merge']),
  ]);

/** base with two open branches (two heads). */
const forked = () => RevisionGraph.build([rev('a0'), rev('b0', ['a0']), rev('c0', ['a0']), rev('d0', ['b0'])]);

const ids = (revs: Revision[]) => revs.map((r) => r.id);
const set = (...xs: string[]) => new Set(xs);

function fails(fn: () => unknown, code: ErrorCode, ...fragments: (string | RegExp)[]): FerryError {
  let caught: unknown;
  assert.throws(fn, (e: unknown) => {
    caught = e;
    return e instanceof FerryError && e.code === code;
  });
  const err = caught as FerryError;
  for (const f of fragments) {
    if (typeof f === 'string') assert.ok(err.message.includes(f), `"${err.message}" should contain "${f}"`);
    else assert.match(err.message, f);
  }
  return err;
}

test('a linear history: heads, bases, order, ancestors and descendants (self excluded)', () => {
  const g = linear();
  assert.equal(g.size, 4);
  assert.deepEqual(ids(g.heads()), ['dddd04']);
  assert.deepEqual(ids(g.bases()), ['aaaa01']);
  assert.deepEqual(ids(g.branchPoints()), []);
  assert.deepEqual(ids(g.topological()), ['aaaa01', 'bbbb02', 'cccc03', 'dddd04']);
  assert.deepEqual(ids(g.ancestors('cccc03')), ['aaaa01', 'bbbb02']);
  assert.deepEqual(ids(g.descendants('bbbb02')), ['cccc03', 'dddd04']);
  assert.deepEqual(ids(g.ancestors('aaaa01')), []);
  assert.equal(g.get('cccc03')?.message, 'rev cccc03');
  assert.equal(g.get('ccc'), undefined, 'get takes exact ids only');
});

test('branches and merges', () => {
  const g = branchy();
  assert.deepEqual(ids(g.heads()), ['ff0top']);
  assert.deepEqual(ids(g.branchPoints()), ['f00base']);
  assert.deepEqual(ids(g.topological()), ['f00base', 'b1', 'b2', 'c1', 'e0merge', 'ff0top']);
  assert.deepEqual(ids(g.ancestors('e0merge')), ['f00base', 'b1', 'b2', 'c1']);
  assert.deepEqual(ids(g.descendants('c1')), ['e0merge', 'ff0top']);
  assert.deepEqual(ids(forked().heads()), ['c0', 'd0']);
});

test('resolve: full ids, unique prefixes, ambiguity and typos', () => {
  const g = RevisionGraph.build([rev('3f2a9c1b7d0e'), rev('3f2b00000000', ['3f2a9c1b7d0e']), rev('1a2b3c4d5e6f', ['3f2b00000000'])]);
  assert.equal(g.resolve('3f2a9c1b7d0e').id, '3f2a9c1b7d0e');
  assert.equal(g.resolve('3f2a').id, '3f2a9c1b7d0e');
  assert.equal(g.resolve('1').id, '1a2b3c4d5e6f', 'any length of unique prefix works');
  const ambiguous = fails(() => g.resolve('3f2'), 'USAGE', 'ambiguous', '3f2a9c1b7d0e (rev 3f2a9c1b7d0e)', '3f2b00000000');
  assert.deepEqual(ambiguous.data?.candidates, ['3f2a9c1b7d0e', '3f2b00000000']);
  fails(() => g.resolve('1a3b'), 'USAGE', 'Unknown revision "1a3b"', 'did you mean 1a2b3c4d5e6f?');
  fails(() => g.resolve('zzzzzz'), 'USAGE', 'Unknown revision "zzzzzz".');
  fails(() => g.resolve(''), 'USAGE');
});

test('build errors: duplicate ids name both files, missing parents, cycles', () => {
  const dup = { ...rev('abc'), file: '/m/abc_copy.sql' };
  const e1 = fails(() => RevisionGraph.build([rev('abc'), dup]), 'CONFLICT', 'abc', '/m/abc_x.sql', '/m/abc_copy.sql');
  assert.deepEqual(e1.data?.files, ['/m/abc_x.sql', '/m/abc_copy.sql']);
  const e2 = fails(() => RevisionGraph.build([rev('a1'), rev('b1', ['a1', 'gone'])]), 'CONFLICT', '/m/b1_x.sql', 'parent gone, which no revision file has.');
  assert.equal(e2.subject, '/m/b1_x.sql');
  fails(() => RevisionGraph.build([rev('3f2a9c1b7d0e'), rev('b1', ['3f2a9c1b7d0f'])]), 'CONFLICT', 'did you mean 3f2a9c1b7d0e?');
  fails(() => RevisionGraph.build([rev('a', ['c']), rev('b', ['a']), rev('c', ['b']), rev('base'), rev('x', ['base'])]), 'CONFLICT', 'cycle: a -> b -> c -> a');
  fails(() => RevisionGraph.build([rev('self', ['self'])]), 'CONFLICT', 'cycle: self -> self');
  // A cycle hanging off a valid part of the graph is still found.
  fails(() => RevisionGraph.build([rev('r0'), rev('r1', ['r0', 'r3']), rev('r2', ['r1']), rev('r3', ['r2'])]), 'CONFLICT', 'cycle: r1 -> r2 -> r3 -> r1');
});

test('upgrade to heads, head, an id or prefix, +N', () => {
  const g = linear();
  assert.deepEqual(ids(g.upgradePlan(set(), 'heads')), ['aaaa01', 'bbbb02', 'cccc03', 'dddd04']);
  assert.deepEqual(ids(g.upgradePlan(set('aaaa01'), 'head')), ['bbbb02', 'cccc03', 'dddd04']);
  assert.deepEqual(ids(g.upgradePlan(set('aaaa01'), 'ccc')), ['bbbb02', 'cccc03']);
  assert.deepEqual(ids(g.upgradePlan(set('aaaa01'), '+1')), ['bbbb02']);
  assert.deepEqual(ids(g.upgradePlan(set('aaaa01'), '+3')), ['bbbb02', 'cccc03', 'dddd04']);
  assert.deepEqual(ids(g.upgradePlan(set('aaaa01', 'bbbb02', 'cccc03', 'dddd04'), 'heads')), [], 'nothing pending');
  assert.deepEqual(ids(g.upgradePlan(set('aaaa01', 'bbbb02'), 'bbbb02')), [], 'already at the target');
  assert.deepEqual(ids(g.upgradePlan(set('aaaa01', 'bbbb02'), ' +1 ')), ['cccc03'], 'targets are trimmed');
});

test('upgrade with several heads: heads applies every branch, head is a CONFLICT', () => {
  const g = forked();
  assert.deepEqual(ids(g.upgradePlan(set(), 'heads')), ['a0', 'b0', 'c0', 'd0']);
  assert.deepEqual(ids(g.upgradePlan(set('a0', 'b0'), 'heads')), ['c0', 'd0']);
  const e = fails(() => g.upgradePlan(set(), 'head'), 'CONFLICT', '2 heads', 'c0 (rev c0)', 'd0 (rev d0)');
  assert.match(e.hint ?? '', /heads.*ferry merge/);
  assert.deepEqual(e.data?.heads, ['c0', 'd0']);
  assert.deepEqual(ids(g.upgradePlan(set(), 'd0')), ['a0', 'b0', 'd0'], 'one branch by id');
  assert.deepEqual(ids(g.upgradePlan(set('a0'), '+2')), ['b0', 'c0'], '+N follows the topological order across branches');
});

test('upgrade through a merge applies both branches first', () => {
  const g = branchy();
  assert.deepEqual(ids(g.upgradePlan(set('f00base', 'b1'), 'e0merge')), ['b2', 'c1', 'e0merge']);
  assert.deepEqual(ids(g.upgradePlan(set('f00base', 'b1', 'b2'), 'head')), ['c1', 'e0merge', 'ff0top']);
});

test('revisions behind applied ones are included in plans and reported by behind()', () => {
  const g = linear();
  // bbbb02 was never applied although its descendants were (e.g. a branch merged late).
  const applied = set('aaaa01', 'cccc03');
  assert.deepEqual(ids(g.behind(applied)), ['bbbb02']);
  assert.deepEqual(ids(g.upgradePlan(applied, 'heads')), ['bbbb02', 'dddd04']);
  assert.deepEqual(ids(g.upgradePlan(applied, 'cccc03')), ['bbbb02']);
  assert.deepEqual(ids(g.behind(set('aaaa01', 'bbbb02'))), []);
});

test('upgrade target errors', () => {
  const g = linear();
  fails(() => g.upgradePlan(set(), 'nope'), 'USAGE', 'Unknown revision "nope"');
  fails(() => g.upgradePlan(set(), 'haeds'), 'USAGE', 'did you mean heads?');
  fails(() => g.upgradePlan(set(), '+0'), 'USAGE', 'at least 1');
  fails(() => g.upgradePlan(set('aaaa01', 'bbbb02', 'cccc03'), '+2'), 'USAGE', 'only 1 revision(s) are pending');
  fails(() => g.upgradePlan(set(), 'base'), 'USAGE', 'downgrade target');
  fails(() => g.upgradePlan(set(), '-1'), 'USAGE', 'downgrade target');
  fails(() => RevisionGraph.build([]).upgradePlan(set(), 'head'), 'USAGE', 'no revisions');
  assert.deepEqual(RevisionGraph.build([]).upgradePlan(set(), 'heads'), []);
});

test('downgrade to base, to an id or prefix, by -N; children first', () => {
  const g = linear();
  const all = set('aaaa01', 'bbbb02', 'cccc03', 'dddd04');
  assert.deepEqual(ids(g.downgradePlan(all, 'base')), ['dddd04', 'cccc03', 'bbbb02', 'aaaa01']);
  assert.deepEqual(ids(g.downgradePlan(all, 'bbb')), ['dddd04', 'cccc03'], 'the target itself stays applied');
  assert.deepEqual(ids(g.downgradePlan(all, 'dddd04')), []);
  assert.deepEqual(ids(g.downgradePlan(all, '-1')), ['dddd04']);
  assert.deepEqual(ids(g.downgradePlan(all, '-3')), ['dddd04', 'cccc03', 'bbbb02']);
  assert.deepEqual(ids(g.downgradePlan(set(), 'base')), []);
});

test('downgrading below a merge unapplies the merge first and keeps the other branch', () => {
  const g = branchy();
  const all = set('f00base', 'b1', 'b2', 'c1', 'e0merge', 'ff0top');
  assert.deepEqual(ids(g.downgradePlan(all, 'b1')), ['ff0top', 'e0merge', 'b2']);
  assert.deepEqual(ids(g.downgradePlan(all, 'c1')), ['ff0top', 'e0merge']);
  assert.deepEqual(ids(g.downgradePlan(all, '-2')), ['ff0top', 'e0merge']);
  // After the merge is gone there are two current heads; -1 takes the later one in topological order.
  const split = set('f00base', 'b1', 'b2', 'c1');
  assert.deepEqual(ids(g.currentHeads(split)), ['b2', 'c1']);
  assert.deepEqual(ids(g.downgradePlan(split, '-1')), ['c1']);
  assert.deepEqual(ids(g.downgradePlan(split, '-3')), ['c1', 'b2', 'b1']);
});

test('downgrade target errors', () => {
  const g = linear();
  const some = set('aaaa01', 'bbbb02');
  fails(() => g.downgradePlan(some, 'cccc03'), 'USAGE', 'cccc03 is not applied');
  fails(() => g.downgradePlan(some, '-3'), 'USAGE', 'only 2 revision(s) are applied');
  fails(() => g.downgradePlan(some, '-0'), 'USAGE');
  fails(() => g.downgradePlan(some, 'head'), 'USAGE', 'upgrade target');
  fails(() => g.downgradePlan(some, 'heads'), 'USAGE', 'upgrade target');
  fails(() => g.downgradePlan(some, '+1'), 'USAGE', 'upgrade target');
  fails(() => g.downgradePlan(some, 'bsae'), 'USAGE', 'did you mean base?');
});

test('current heads, and applied ids the graph does not know', () => {
  const g = forked();
  assert.deepEqual(ids(g.currentHeads(set())), []);
  assert.deepEqual(ids(g.currentHeads(set('a0', 'b0', 'c0'))), ['b0', 'c0']);
  assert.deepEqual(ids(g.currentHeads(set('a0', 'b0', 'd0', 'gone'))), ['d0']);
  assert.deepEqual(g.unknownApplied(set('a0', 'zz', 'gone')), ['gone', 'zz']);
  assert.deepEqual(ids(g.upgradePlan(set('a0', 'gone'), 'heads')), ['b0', 'c0', 'd0'], 'unknown applied ids are ignored');
});

test('history: newest first, with from:to ranges', () => {
  const g = branchy();
  assert.deepEqual(ids(g.history()), ['ff0top', 'e0merge', 'c1', 'b2', 'b1', 'f00base']);
  assert.deepEqual(ids(g.history({ from: 'b1' })), ['ff0top', 'e0merge', 'b2', 'b1']);
  assert.deepEqual(ids(g.history({ to: 'b2' })), ['b2', 'b1', 'f00base']);
  assert.deepEqual(ids(g.history({ from: 'c1', to: 'e0m' })), ['e0merge', 'c1']);
  assert.deepEqual(ids(g.history({ from: 'base', to: 'heads' })), ids(g.history()));
  assert.deepEqual(ids(g.history({ from: 'f00', to: 'head' })), ids(g.history()));
  assert.deepEqual(ids(g.history({ to: 'base' })), ['f00base']);
  assert.deepEqual(ids(g.history({ from: 'heads' })), ['ff0top']);
  assert.deepEqual(ids(g.history({ from: 'b2', to: 'c1' })), [], 'unrelated ends give nothing');
  fails(() => g.history({ from: 'nope' }), 'USAGE', 'Unknown revision');
  fails(() => forked().history({ to: 'head' }), 'CONFLICT', '2 heads');
});

test('results do not depend on the input order', () => {
  const revs = [rev('f00base'), rev('b1', ['f00base']), rev('b2', ['b1']), rev('c1', ['f00base']), rev('e0merge', ['b2', 'c1']), rev('ff0top', ['e0merge'])];
  const a = RevisionGraph.build(revs);
  const b = RevisionGraph.build([...revs].reverse());
  const applied = set('f00base', 'c1');
  assert.deepEqual(ids(a.topological()), ids(b.topological()));
  assert.deepEqual(ids(a.upgradePlan(applied, '+2')), ids(b.upgradePlan(applied, '+2')));
  assert.deepEqual(ids(a.downgradePlan(applied, '-1')), ids(b.downgradePlan(applied, '-1')));
  assert.deepEqual(ids(a.history()), ids(b.history()));
});

test('the topological order is the smallest-id-first order a naive reference computes', () => {
  // A seeded pseudo-random DAG of 400 revisions with up to three parents each.
  let seed = 42;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const revs: Revision[] = [];
  for (let i = 0; i < 400; i++) {
    const id = Math.floor(random() * 2 ** 40)
      .toString(16)
      .padStart(10, '0');
    const parents = i === 0 ? [] : [...new Set(Array.from({ length: 1 + Math.floor(random() * 3) }, () => revs[Math.floor(random() * i)].id))];
    revs.push(rev(id, random() < 0.05 ? [] : parents));
  }
  const expected: string[] = [];
  const placed = new Set<string>();
  while (expected.length < revs.length) {
    const ready = revs
      .filter((r) => !placed.has(r.id) && r.parents.every((p) => placed.has(p)))
      .map((r) => r.id)
      .sort();
    expected.push(ready[0]);
    placed.add(ready[0]);
  }
  const g = RevisionGraph.build(revs);
  assert.deepEqual(ids(g.topological()), expected);
  const position = new Map(expected.map((id, k) => [id, k]));
  for (const r of g.downgradePlan(new Set(expected), '-400').slice(0, -1)) assert.ok(r.parents.every((p) => position.get(p)! < position.get(r.id)!));
});

/** `n` revisions in `branches` interleaved chains, merged every 50 revisions. */
function bigGraph(n: number, branches: number): Revision[] {
  const revs: Revision[] = [rev('r00000')];
  const tips = Array.from({ length: branches }, () => 'r00000');
  for (let i = 1; i < n; i++) {
    const id = `r${String(i).padStart(5, '0')}`;
    if (i % 50 === 0) {
      revs.push(rev(id, [...new Set(tips)]));
      tips.fill(id);
    } else {
      const b = i % branches;
      revs.push(rev(id, [tips[b]]));
      tips[b] = id;
    }
  }
  return revs;
}

test('5,000 revisions build and plan in a few milliseconds (timings printed)', () => {
  const revs = bigGraph(5000, 3);
  const t0 = performance.now();
  const g = RevisionGraph.build(revs);
  const t1 = performance.now();
  const half = new Set(
    g
      .topological()
      .slice(0, 2500)
      .map((r) => r.id),
  );
  const up = g.upgradePlan(half, 'heads');
  const upN = g.upgradePlan(half, '+10');
  const down = g.downgradePlan(half, 'base');
  const downN = g.downgradePlan(half, '-10');
  const current = g.currentHeads(half);
  const history = g.history();
  const resolved = g.resolve('r04999');
  const t2 = performance.now();
  console.log(`revision graph, 5,000 revisions: build ${(t1 - t0).toFixed(2)} ms; plans, current, history and resolve ${(t2 - t1).toFixed(2)} ms`);
  assert.equal(up.length + down.length, 5000);
  assert.equal(upN.length, 10);
  assert.equal(downN.length, 10);
  assert.ok(current.length >= 1);
  assert.equal(history.length, 5000);
  assert.equal(resolved.id.startsWith('r04999'), true);
  assert.ok(t2 - t0 < 1000, 'generous bound: only a quadratic walk would come near it');
});

test('headsAfterStep follows every step of every plan exactly as currentHeads does', () => {
  for (const build of [linear, branchy, forked]) {
    const g = build();
    const all = ids(g.topological());
    // From every applied state a plan can reach, up to every target and down to every target.
    for (const startTarget of ['base', ...all]) {
      const start = new Set(startTarget === 'base' ? [] : [startTarget, ...ids(g.ancestors(startTarget))]);
      for (const [direction, target] of [
        ...all.map((t) => ['up', t] as const),
        ['up', 'heads'] as const,
        ...all.map((t) => ['down', t] as const),
        ['down', 'base'] as const,
      ]) {
        let plan: Revision[];
        try {
          plan = direction === 'up' ? g.upgradePlan(start, target) : g.downgradePlan(start, target);
        } catch {
          continue; // not a reachable target from here (say, downgrading to an unapplied revision)
        }
        const applied = new Set(start);
        let heads = ids(g.currentHeads(applied));
        for (const r of plan) {
          if (direction === 'up') applied.add(r.id);
          else applied.delete(r.id);
          heads = g.headsAfterStep(heads, r, direction, applied);
          assert.deepEqual(
            [...heads].sort(),
            ids(g.currentHeads(applied)).sort(),
            `${build.name} from ${startTarget}, ${direction} to ${target}, after ${r.id}`,
          );
        }
      }
    }
  }
});
