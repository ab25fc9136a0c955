/**
 * Kahn's algorithm with a min-heap of node indexes: parents before children, and among revisions
 * ready at the same time the smallest index (the graph numbers nodes in id order) first, so the
 * order is the same on every machine. Returns fewer nodes than there are when there is a cycle.
 */
export function topologicalOrder(parentsOf: number[][], childrenOf: number[][]): number[] {
  const waiting = parentsOf.map((p) => p.length);
  const heap = new MinHeap();
  for (let i = 0; i < waiting.length; i++) if (waiting[i] === 0) heap.push(i);
  const order: number[] = [];
  while (heap.size > 0) {
    const i = heap.pop();
    order.push(i);
    for (const c of childrenOf[i]) if (--waiting[c] === 0) heap.push(c);
  }
  return order;
}

/**
 * A cycle among the nodes `order` (Kahn's result) could not place, parent before child, starting at
 * the smallest index so the message does not depend on where the walk began. Every unplaced node
 * has an unplaced parent, so following those parents must come back to a node already seen.
 */
export function findCycle(parentsOf: number[][], order: number[]): number[] {
  const placed = new Uint8Array(parentsOf.length);
  for (const i of order) placed[i] = 1;
  const stepOf = new Map<number, number>();
  const path: number[] = [];
  let at = placed.indexOf(0);
  while (!stepOf.has(at)) {
    stepOf.set(at, path.length);
    path.push(at);
    at = parentsOf[at].find((p) => !placed[p])!;
  }
  // The walk went child -> parent; reverse it to read parent -> child.
  const loop = path.slice(stepOf.get(at)).reverse();
  const first = loop.indexOf(Math.min(...loop));
  return [...loop.slice(first), ...loop.slice(0, first)];
}

/** A binary min-heap of node indexes (plain swaps: destructuring allocates before the JIT kicks in). */
class MinHeap {
  private readonly items: number[] = [];
  get size(): number {
    return this.items.length;
  }
  push(v: number): void {
    const a = this.items;
    let i = a.length;
    a.push(v);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (a[p] <= v) break;
      a[i] = a[p];
      i = p;
    }
    a[i] = v;
  }
  pop(): number {
    const a = this.items;
    const top = a[0];
    const last = a.pop()!;
    const n = a.length;
    if (n > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const m = l + 1 < n && a[l + 1] < a[l] ? l + 1 : l;
        if (last <= a[m]) break;
        a[i] = a[m];
        i = m;
      }
      a[i] = last;
    }
    return top;
  }
}
