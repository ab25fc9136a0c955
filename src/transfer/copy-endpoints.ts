/**
 * The two ends of one table's copy, from the engines' roles: the source's table reader (with the
 * encoded reader of the pair's accelerator, where one applies) and the target's table sink.
 */
import type { TablePlan } from '../engine/table-plan.js';
import type { EncodedReader, TableReader } from '../engine/table-reader.js';
import type { TableSink } from '../engine/table-sink.js';
import type { Engine } from '../engine/types.js';
import { acceleratorFor, roleOf } from '../engines/registry.js';

/** How one table is read and written. */
export interface TableEnds {
  reader: TableReader;
  /** The same rows already encoded for the sink, when the engines' accelerator takes the table. */
  encoded: EncodedReader | null;
  sink: TableSink;
}

/** Opens the reader of `plan`'s table in `source` and its sink in `target` (close the reader when done). */
export async function openTableEnds(source: Engine, target: Engine, plan: TablePlan, options: { oneInstant?: boolean } = {}): Promise<TableEnds> {
  const reader = await roleOf(source, 'tableReader').open(source, plan, options);
  try {
    const accelerator = acceleratorFor(source.dialect, target.dialect);
    const encoded = accelerator ? await accelerator.encodedReader(reader, plan) : null;
    return { reader, encoded, sink: await roleOf(target, 'tableSink').open(target, plan) };
  } catch (e) {
    reader.close();
    throw e;
  }
}
