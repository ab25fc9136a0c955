import { FerryError } from '../errors.js';
import type { Revision } from './revision-types.js';
import { closest } from './did-you-mean.js';
import { displayPath } from './revision-text.js';
import { findCycle, topologicalOrder } from './topological-order.js';

/** Which revisions `history` shows: `from` and `to` are ids, prefixes, `base`, `head` or `heads`; both ends inclusive. */
export interface HistoryRange {
  /** The oldest end (default: base); only it and its descendants are shown. */
  from?: string;
  /** The newest end (default: heads); only it and its ancestors are shown. */
  to?: string;
}

const KEYWORDS = ['head', 'heads', 'base'];

/**
 * The revision graph: a pure, immutable DAG over loaded revisions (Alembic's RevisionMap).
 * Everything is precomputed once (parent and child index lists, a deterministic topological order
 * with ties broken by id), so every query is linear at worst: 5,000 revisions build
 * and plan in a few milliseconds. Applied state is passed in as a set of ids; ids in it that the
 * graph does not know are ignored by the plans (see `unknownApplied`).
 */
export class RevisionGraph {
  /** Sorted by id, so an index order is an id order and prefixes are contiguous. */
  private readonly revs: Revision[];
  private readonly index: Map<string, number>;
  private readonly parentsOf: number[][];
  private readonly childrenOf: number[][];
  /** Node indexes, parents before children. */
  private readonly order: number[];

  private constructor(revs: Revision[], index: Map<string, number>, parentsOf: number[][], childrenOf: number[][], order: number[]) {
    this.revs = revs;
    this.index = index;
    this.parentsOf = parentsOf;
    this.childrenOf = childrenOf;
    this.order = order;
  }

  /** Builds the graph; CONFLICT on a duplicate id (naming both files), a missing parent or a cycle. */
  static build(revisions: readonly Revision[]): RevisionGraph {
    const byId = new Map<string, Revision>();
    for (const r of revisions) {
      const other = byId.get(r.id);
      if (other) {
        throw new FerryError('CONFLICT', `Revision id ${r.id} is used by two files: ${displayPath(other.file)} and ${displayPath(r.file)}.`, {
          subject: r.file,
          hint: 'One is probably a copy: give it a new id (and fix the parents that should point at it).',
          data: { revision: r.id, files: [other.file, r.file] },
        });
      }
      byId.set(r.id, r);
    }
    // The default sort compares UTF-16 code units natively: locale-free and without a JS callback.
    const revs = [...byId.keys()].sort().map((id) => byId.get(id)!);
    const index = new Map(revs.map((r, i) => [r.id, i]));
    const childrenOf: number[][] = revs.map(() => []);
    const parentsOf = revs.map((r, i) =>
      r.parents.map((p) => {
        const k = index.get(p);
        if (k === undefined) {
          const near = closest(p, index.keys());
          throw new FerryError(
            'CONFLICT',
            `${displayPath(r.file)} (revision ${r.id}) names parent ${p}, which no revision file has${near ? `; did you mean ${near}?` : '.'}`,
            {
              subject: r.file,
              hint: 'Restore the missing revision file, or correct the parents line of this one.',
              data: { revision: r.id, file: r.file, parent: p },
            },
          );
        }
        childrenOf[k].push(i);
        return k;
      }),
    );
    const order = topologicalOrder(parentsOf, childrenOf);
    if (order.length < revs.length) {
      const cycle = findCycle(parentsOf, order).map((i) => revs[i]);
      throw new FerryError('CONFLICT', `Revisions form a cycle: ${[...cycle, cycle[0]].map((r) => r.id).join(' -> ')}.`, {
        subject: cycle[0].file,
        hint: 'A revision cannot descend from itself; fix the parents line of one of these files.',
        data: { cycle: cycle.map((r) => ({ revision: r.id, file: r.file })) },
      });
    }
    return new RevisionGraph(revs, index, parentsOf, childrenOf, order);
  }

  /** Number of revisions. */
  get size(): number {
    return this.revs.length;
  }

  /** The revision with exactly this id, if any. */
  get(id: string): Revision | undefined {
    const k = this.index.get(id);
    return k === undefined ? undefined : this.revs[k];
  }

  /** A full id or a unique prefix of one; USAGE when ambiguous (listing candidates) or unknown. */
  resolve(ref: string): Revision {
    return this.revs[this.find(ref, false)];
  }

  /** Revisions without children, in id order. */
  heads(): Revision[] {
    return this.pick((i) => this.childrenOf[i].length === 0);
  }

  /** Revisions without parents, in id order. */
  bases(): Revision[] {
    return this.pick((i) => this.parentsOf[i].length === 0);
  }

  /** Revisions with more than one child (where branches start), in id order. */
  branchPoints(): Revision[] {
    return this.pick((i) => this.childrenOf[i].length > 1);
  }

  /** Every ancestor of `ref` (id or prefix), NOT including itself, parents first. */
  ancestors(ref: string): Revision[] {
    const k = this.find(ref, false);
    const mask = this.closure([k], this.parentsOf);
    mask[k] = 0;
    return this.inOrder(mask, false);
  }

  /** Every descendant of `ref` (id or prefix), NOT including itself, parents first. */
  descendants(ref: string): Revision[] {
    const k = this.find(ref, false);
    const mask = this.closure([k], this.childrenOf);
    mask[k] = 0;
    return this.inOrder(mask, false);
  }

  /** All revisions, parents before children; ties (independent branches) broken by id. */
  topological(): Revision[] {
    return this.order.map((i) => this.revs[i]);
  }

  /** Applied revisions with no applied child: what the database is "at". */
  currentHeads(applied: ReadonlySet<string>): Revision[] {
    const on = this.appliedMask(applied);
    return this.pick((i) => on[i] === 1 && !this.childrenOf[i].some((c) => on[c] === 1));
  }

  /**
   * The heads after one step of a plan, from the heads before it (ids), without a pass over the
   * whole graph: a long run asks this once per revision. `appliedAfter` is the applied set once
   * the step is done. Equal to currentHeads(appliedAfter) for the steps plans are made of (an up
   * whose parents are applied, a down of a revision no applied revision descends from).
   */
  headsAfterStep(heads: readonly string[], rev: Revision, direction: 'up' | 'down', appliedAfter: { has(id: string): boolean }): string[] {
    if (direction === 'up') return [...heads.filter((h) => !rev.parents.includes(h)), rev.id];
    const out = heads.filter((h) => h !== rev.id);
    for (const p of rev.parents) {
      const k = this.index.get(p);
      if (k === undefined || !appliedAfter.has(p) || out.includes(p)) continue;
      if (!this.childrenOf[k].some((c) => appliedAfter.has(this.revs[c].id))) out.push(p);
    }
    return out;
  }

  /** Pending revisions that an applied revision descends from (a branch merged or skipped by hand), parents first. */
  behind(applied: ReadonlySet<string>): Revision[] {
    const on = this.appliedMask(applied);
    const below = this.closure(this.nodes(on), this.parentsOf);
    return this.inOrder(
      below.map((b, i) => (b && !on[i] ? 1 : 0)),
      false,
    );
  }

  /** Applied ids that no revision file has (deleted or from another branch of the code). */
  unknownApplied(applied: ReadonlySet<string>): string[] {
    return [...applied].filter((id) => !this.index.has(id)).sort();
  }

  /**
   * What `upgrade TARGET` applies, parents first: `heads` = every pending revision; `head` = the
   * single head and its pending ancestors (CONFLICT with several heads); an id/prefix = it and its
   * pending ancestors; `+N` = the first N pending revisions in topological order. Pending ancestors
   * "behind" applied revisions are included: applying them is correct, `behind` reports them.
   */
  upgradePlan(applied: ReadonlySet<string>, target: string): Revision[] {
    const t = target.trim();
    const on = this.appliedMask(applied);
    if (/^\+\d+$/.test(t)) {
      const n = this.count(t);
      const pending = this.order.filter((i) => !on[i]);
      if (pending.length < n)
        throw usage(`upgrade ${t}: only ${pending.length} revision(s) are pending.`, 'Use `ferry upgrade heads` to apply everything that is pending.', {
          pending: pending.length,
        });
      return pending.slice(0, n).map((i) => this.revs[i]);
    }
    if (t === 'base' || /^-\d+$/.test(t)) throw usage(`"${t}" is a downgrade target.`, `Use \`ferry downgrade ${t}\`.`);
    const roots = t === 'heads' ? this.headNodes() : [t === 'head' ? this.singleHead() : this.find(t, true)];
    const want = this.closure(roots, this.parentsOf);
    return this.inOrder(
      want.map((w, i) => (w && !on[i] ? 1 : 0)),
      false,
    );
  }

  /**
   * What `downgrade TARGET` unapplies, children first: `base` = every applied revision; an id/prefix
   * (which must be applied) = its applied descendants, not itself, so a merge above it goes first;
   * `-N` = the N applied revisions latest in topological order (each has no applied child when
   * its turn comes, since children come later in that order).
   */
  downgradePlan(applied: ReadonlySet<string>, target: string): Revision[] {
    const t = target.trim();
    const on = this.appliedMask(applied);
    if (t === 'base') return this.inOrder(on, true);
    if (/^-\d+$/.test(t)) {
      const n = this.count(t);
      const all = this.inOrder(on, true);
      if (all.length < n)
        throw usage(`downgrade ${t}: only ${all.length} revision(s) are applied.`, 'Use `ferry downgrade base` to unapply everything.', {
          applied: all.length,
        });
      return all.slice(0, n);
    }
    if (t === 'head' || t === 'heads' || /^\+\d+$/.test(t)) throw usage(`"${t}" is an upgrade target.`, `Use \`ferry upgrade ${t}\`.`);
    const k = this.find(t, true);
    if (!on[k])
      throw usage(`Revision ${this.revs[k].id} is not applied, so the database cannot be downgraded to it.`, 'See `ferry current` for what is applied.', {
        revision: this.revs[k].id,
      });
    const drop = this.closure([k], this.childrenOf);
    drop[k] = 0;
    return this.inOrder(
      drop.map((d, i) => d & on[i]),
      true,
    );
  }

  /** Revisions from `range.from` up to `range.to` (both inclusive, each optional), newest first like `alembic history`. */
  history(range: HistoryRange = {}): Revision[] {
    const end = (ref: string | undefined, edges: number[][], open: string): Uint8Array | undefined => {
      if (ref === undefined || ref.trim() === '' || ref.trim() === open) return undefined;
      const r = ref.trim();
      const roots =
        r === 'heads'
          ? this.headNodes()
          : r === 'base'
            ? this.nodes(this.pickMask((i) => this.parentsOf[i].length === 0))
            : [r === 'head' ? this.singleHead() : this.find(r, true)];
      return this.closure(roots, edges);
    };
    const lower = end(range.from, this.childrenOf, 'base');
    const upper = end(range.to, this.parentsOf, 'heads');
    return this.inOrder(
      this.pickMask((i) => (!lower || lower[i] === 1) && (!upper || upper[i] === 1)),
      true,
    );
  }

  private headNodes(): number[] {
    return this.nodes(this.pickMask((i) => this.childrenOf[i].length === 0));
  }

  private singleHead(): number {
    const heads = this.headNodes();
    if (heads.length === 1) return heads[0];
    if (heads.length === 0) throw usage('There are no revisions yet.', 'Create one with `ferry revision -m MSG`.');
    throw new FerryError('CONFLICT', `"head" is ambiguous: there are ${heads.length} heads: ${heads.map((i) => this.describe(i)).join(', ')}.`, {
      hint: 'Use `heads` to apply every branch, name one head, or join them with `ferry merge -m MSG heads`.',
      data: { heads: heads.map((i) => this.revs[i].id) },
    });
  }

  /** Node index for a full id or unique prefix; `keywords` adds head/heads/base to did-you-mean. */
  private find(ref: string, keywords: boolean): number {
    const r = ref.trim();
    const exact = this.index.get(r);
    if (exact !== undefined) return exact;
    if (r === '') return throwUsage('No revision given.', 'Name a revision by its id or a unique prefix of it.');
    const matches: number[] = [];
    for (let k = lowerBound(this.revs, r); k < this.revs.length && this.revs[k].id.startsWith(r); k++) matches.push(k);
    if (matches.length === 1) return matches[0];
    if (matches.length > 1) {
      const shown = matches.slice(0, 10).map((i) => this.describe(i));
      throw usage(
        `Revision prefix "${r}" is ambiguous: ${matches.length} revisions start with it: ${shown.join(', ')}${matches.length > 10 ? ', ...' : ''}.`,
        'Give more characters of the id.',
        {
          candidates: matches.map((i) => this.revs[i].id),
        },
      );
    }
    const near = (keywords ? closest(r, KEYWORDS) : undefined) ?? closest(r, this.index.keys(), { prefix: true });
    return throwUsage(
      `Unknown revision "${r}"${near ? `; did you mean ${near}?` : '.'}`,
      keywords
        ? 'A target is head, heads, base, +N, -N, a revision id or a unique prefix of one; `ferry history` lists revisions.'
        : '`ferry history` lists revisions.',
    );
  }

  private describe(i: number): string {
    const r = this.revs[i];
    return r.message ? `${r.id} (${r.message})` : r.id;
  }

  private count(t: string): number {
    const n = Number(t.slice(1));
    if (!Number.isSafeInteger(n) || n < 1) throw usage(`"${t}" moves by no revisions; use a count of at least 1.`);
    return n;
  }

  private appliedMask(applied: ReadonlySet<string>): Uint8Array {
    const on = new Uint8Array(this.revs.length);
    for (const id of applied) {
      const k = this.index.get(id);
      if (k !== undefined) on[k] = 1;
    }
    return on;
  }

  /** Marks `roots` and everything reachable from them along `edges` (parents or children). */
  private closure(roots: number[], edges: number[][]): Uint8Array {
    const seen = new Uint8Array(this.revs.length);
    const stack = [...roots];
    for (const r of roots) seen[r] = 1;
    while (stack.length > 0) {
      for (const next of edges[stack.pop()!]) {
        if (!seen[next]) {
          seen[next] = 1;
          stack.push(next);
        }
      }
    }
    return seen;
  }

  private inOrder(mask: ArrayLike<number>, newestFirst: boolean): Revision[] {
    const out: Revision[] = [];
    const n = this.order.length;
    for (let k = 0; k < n; k++) {
      const i = this.order[newestFirst ? n - 1 - k : k];
      if (mask[i]) out.push(this.revs[i]);
    }
    return out;
  }

  private pickMask(test: (i: number) => boolean): Uint8Array {
    return Uint8Array.from(this.revs, (_, i) => (test(i) ? 1 : 0));
  }

  private nodes(mask: ArrayLike<number>): number[] {
    const out: number[] = [];
    for (let i = 0; i < mask.length; i++) if (mask[i]) out.push(i);
    return out;
  }

  private pick(test: (i: number) => boolean): Revision[] {
    return this.revs.filter((_, i) => test(i));
  }
}

/** First index whose id is >= key (ids are sorted). */
function lowerBound(revs: Revision[], key: string): number {
  let lo = 0;
  let hi = revs.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (revs[mid].id < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function usage(message: string, hint?: string, data?: Record<string, unknown>): FerryError {
  return new FerryError('USAGE', message, { hint, data });
}

function throwUsage(message: string, hint: string): never {
  throw usage(message, hint);
}
