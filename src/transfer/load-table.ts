import type { Engine } from '../engine/types.js';
import type { Row, Value } from '../values/value.js';
import { ChecksumAccumulator } from '../values/checksum.js';
import { ConversionError, convertOptionsOf, converterFor, normalizerFor } from '../values/convert-value.js';
import type { CopyState, TableState } from './copy-state.js';
import type { RejectRecord } from './copy-types.js';
import type { TablePlan } from '../engine/table-plan.js';
import type { EncodedReader, TableReader } from '../engine/table-reader.js';
import { jsonSafe } from '../values/json-safe.js';
import type { RejectLog } from './reject-log.js';
import type { SinkItem, SinkRow, TableSink } from '../engine/table-sink.js';

/** Rows per natively encoded run at most: enough to amortise a query, few enough to redo in JS. */
const ENCODED_RUN = 4096;
/** Bytes a natively encoded run aims at, so wide rows (blobs) keep memory flat. */
const ENCODED_RUN_BYTES = 256 * 1024;
/** Rows between progress reports. */
const PROGRESS_EVERY = 10_000;

/** Everything loading one table needs; the runner builds it per table. */
export interface LoadTableJob {
  plan: TablePlan;
  /** Reads the table from the source in key order. */
  reader: TableReader;
  /** Reads the same rows already encoded for the sink (a pair's accelerator), when it applies. */
  encoded?: EncodedReader | null;
  /** The target connection this table is written through (its transactions frame each chunk). */
  target: Engine;
  sink: TableSink;
  state: CopyState;
  tableState: TableState;
  /** Rows per committed chunk. */
  batchSize: number;
  rejects: RejectLog;
  /** True when the run is stopping (another table failed): return after the current chunk. */
  stop?: () => boolean;
  /** Called as rows go out (uncommitted counts are fine for a progress bar). */
  onProgress: (rows: number, bytes: number) => void;
}

/**
 * Loads a table chunk by chunk. Each chunk is one transaction holding its rows and the state row
 * that records the last key, so a run killed at any instant resumes after the last committed chunk
 * without duplicating a row. Rows that cannot be converted, or that the target refuses, go to the
 * reject log and are left out; they never take good rows down with them.
 */
export async function loadTable(job: LoadTableJob): Promise<void> {
  const loader = new TableLoader(job);
  let after = job.tableState.lastKey;
  for (;;) {
    const chunk = await loader.loadChunk(after);
    after = chunk.lastKey;
    if (chunk.ended) break;
    if (job.stop?.()) return;
  }
  job.tableState.phase = 'loaded';
  await job.state.save(job.tableState);
}

/** One chunk on its way: how far it read, and the rows refused before they reached the target. */
class Chunk {
  count = 0;
  /** False when the chunk stopped at the batch size with rows left. */
  ended = true;
  lastKey: Value[] | null;
  readonly refused: RejectRecord[] = [];
  readonly refusedRows: Row[] = [];
  constructor(readonly after: Value[] | null) {
    this.lastKey = after;
  }
}

/** Converts, writes and commits a table's chunks, counting rows and bytes across them. */
class TableLoader {
  private readonly converters: ((v: Value) => Value)[];
  /** Rejected rows leave verify's source digest as verify reads them: without the target's limits. */
  private readonly normalizers: ((v: Value) => Value)[];
  private readonly keyWidth: number;
  private readonly keyed: boolean;
  private readonly batchSize: number;
  private readonly encoded: EncodedReader | null;
  private sent = 0;
  private bytesSent = 0;

  constructor(private readonly job: LoadTableJob) {
    const pgText = job.reader.pgText ?? false;
    this.converters = job.plan.columns.map((c) => converterFor(c.logical, convertOptionsOf(c, pgText)));
    this.normalizers = job.plan.columns.map((c) => normalizerFor(c.logical, convertOptionsOf({ epoch: c.epoch, zonelessUtc: c.zonelessUtc }, pgText)));
    this.keyWidth = job.reader.keyWidth;
    this.keyed = this.keyWidth > 0;
    // A keyless table cannot resume mid-way: it is one chunk, committed with its state.
    this.batchSize = this.keyed ? Math.max(1, job.batchSize) : Number.MAX_SAFE_INTEGER;
    this.encoded = job.encoded && job.sink.encodedFormat === job.encoded.format ? job.encoded : null;
  }

  /** Reads, writes and commits the chunk after `after`. */
  async loadChunk(after: Value[] | null): Promise<Chunk> {
    const { job } = this;
    const ts = job.tableState;
    const chunk = new Chunk(after);
    const rows = this.encoded ? this.encodedRows(this.encoded, chunk) : this.readRows(chunk);
    const before = { ...ts };
    const rejectsBefore = ts.rejects;
    try {
      await job.target.transaction(async () => {
        const written = await job.sink.write(rows, (row, column, reason) => this.refuseRow(chunk, row, column, reason));
        this.bytesSent += written.bytes;
        await this.commitChunk(written.rows, chunk.refused, chunk.refusedRows, chunk.lastKey);
      });
    } catch (e) {
      if (!job.sink.wholeChunkFails || !job.sink.refusal(e) || !this.keyed) throw e;
      // The target refused something in this chunk: redo just these rows, narrowing down to the
      // ones it will not take. Everything sent so far lies in (after, lastKey].
      Object.assign(ts, before);
      await this.isolateChunk(after, chunk.lastKey);
    }
    // Counted after the commit: stopping for too many rejects keeps this chunk, so a resumed run
    // (with a higher --max-rejects) neither redoes nor re-reports it.
    job.rejects.count(ts.rejects - rejectsBefore);
    job.onProgress(this.sent, this.bytesSent);
    return chunk;
  }

  /** A source row converted to the plan's types, or null (and a reject) when a value does not convert. */
  private toSinkRow(raw: Row, refused: RejectRecord[], refusedRows: Row[]): SinkRow | null {
    const key = raw.slice(0, this.keyWidth);
    const source = this.keyWidth ? raw.slice(this.keyWidth) : raw;
    const values: Row = new Array(source.length);
    const converters = this.converters;
    for (let i = 0; i < source.length; i++) {
      try {
        values[i] = converters[i]!(source[i]!);
      } catch (e) {
        if (!(e instanceof ConversionError)) throw e;
        refused.push(record(this.job.plan, key, this.job.plan.columns[i]!.source, source[i]!, e.reason, source));
        refusedRows.push(source);
        return null;
      }
    }
    return { key, source, values };
  }

  /** Counts a row read into the chunk. */
  private tick(raw: Row, chunk: Chunk): void {
    chunk.count++;
    chunk.lastKey = raw.slice(0, this.keyWidth);
    if (++this.sent % PROGRESS_EVERY === 0) this.job.onProgress(this.sent, this.bytesSent);
  }

  /** A row the sink refused before sending it. */
  private refuseRow(chunk: Chunk, row: SinkRow, column: string | undefined, reason: string): void {
    const { plan } = this.job;
    const value = column ? row.source[plan.columns.findIndex((c) => c.target === column || c.source === column)] : undefined;
    chunk.refused.push(record(plan, row.key, column, value, reason, row.source));
    chunk.refusedRows.push(row.source);
  }

  /** The chunk's rows from the table reader, converted; a synchronous reader is read without an await per row. */
  private readRows(chunk: Chunk): Iterable<SinkItem> | AsyncIterable<SinkItem> {
    const input = this.job.reader.read(chunk.after);
    return isSync(input) ? this.syncRows(input, chunk) : this.asyncRows(input, chunk);
  }

  private *syncRows(input: Iterable<Row>, chunk: Chunk): Generator<SinkItem> {
    for (const raw of input) {
      if (chunk.count >= this.batchSize) {
        chunk.ended = false;
        break;
      }
      this.tick(raw, chunk);
      const r = this.toSinkRow(raw, chunk.refused, chunk.refusedRows);
      if (r) yield r;
    }
  }

  private async *asyncRows(input: AsyncIterable<Row>, chunk: Chunk): AsyncGenerator<SinkItem> {
    for await (const raw of input) {
      if (chunk.count >= this.batchSize) {
        chunk.ended = false;
        break;
      }
      this.tick(raw, chunk);
      const r = this.toSinkRow(raw, chunk.refused, chunk.refusedRows);
      if (r) yield r;
    }
  }

  /**
   * The chunk's rows in runs the source encoded for the sink; a run holding a value that needs
   * converting (or rejecting) is read again through the table reader and converted in JavaScript.
   */
  private *encodedRows(encoded: EncodedReader, chunk: Chunk): Generator<SinkItem> {
    let from = chunk.after;
    let runRows = 256;
    for (;;) {
      if (chunk.count >= this.batchSize) {
        chunk.ended = false;
        return;
      }
      const limit = Math.min(runRows, this.batchSize - chunk.count);
      const run = encoded.read(from, limit);
      if (run.rows === 0) return;
      if (run.encoded) {
        // Size the next run from this one's bytes per row.
        runRows = Math.max(16, Math.min(ENCODED_RUN, Math.floor((ENCODED_RUN_BYTES * run.rows) / Math.max(1, run.encoded.length))));
        yield { encoded: run.encoded, rows: run.rows };
        chunk.count += run.rows;
        chunk.lastKey = run.lastKey;
        this.sent += run.rows;
        if (this.sent % PROGRESS_EVERY < run.rows) this.job.onProgress(this.sent, this.bytesSent);
      } else {
        for (const raw of this.job.reader.read(from, run.lastKey) as Iterable<Row>) {
          this.tick(raw, chunk);
          const r = this.toSinkRow(raw, chunk.refused, chunk.refusedRows);
          if (r) yield r;
        }
      }
      from = run.lastKey;
      if (run.rows < limit) return;
    }
  }

  /** Writes a chunk's rejects and records its progress, inside the chunk's transaction. */
  private async commitChunk(written: number, refused: RejectRecord[], refusedRows: Row[], lastKey: Value[] | null): Promise<void> {
    const { job } = this;
    const ts = job.tableState;
    // The reject file is written before the commit: a kill in between repeats a reject line on
    // resume, which is better than losing one.
    if (refused.length) job.rejects.write(refused);
    if (refusedRows.length) {
      const rejected = ts.rejectedDigest ? ChecksumAccumulator.fromDigest(ts.rejectedDigest) : new ChecksumAccumulator();
      for (const r of refusedRows) rejected.addRow(r.map((v, i) => this.normalizers[i]!(v)));
      ts.rejectedDigest = rejected.digest();
    }
    ts.rowsCopied += written;
    ts.rejects += refused.length;
    ts.lastKey = lastKey;
    ts.phase = 'loading';
    await job.state.save(ts);
  }

  /** Re-reads (after, upTo] and writes it in ever smaller parts until only refused rows are left out. */
  private async isolateChunk(after: Value[] | null, upTo: Value[] | null): Promise<void> {
    const refused: RejectRecord[] = [];
    const refusedRows: Row[] = [];
    const rows: SinkRow[] = [];
    const push = (raw: Row) => {
      const r = this.toSinkRow(raw, refused, refusedRows);
      if (r) rows.push(r);
    };
    const input = this.job.reader.read(after, upTo);
    if (isSync(input)) for (const raw of input) push(raw);
    else for await (const raw of input) push(raw);
    let written = 0;
    const attempt = async (part: SinkRow[]): Promise<void> => {
      const result = await this.writeOrSplit(part);
      if (!result) {
        await attempt(part.slice(0, Math.ceil(part.length / 2)));
        await attempt(part.slice(Math.ceil(part.length / 2)));
        return;
      }
      written += result.rows;
      refused.push(...result.refused);
      refusedRows.push(...result.refusedRows);
    };
    await this.job.target.transaction(async () => {
      await attempt(rows);
      await this.commitChunk(written, refused, refusedRows, upTo);
    });
  }

  /**
   * Writes `part` in a savepoint of its own. The rows written and refused, or null when the target
   * refused some row of a part of several rows: the caller splits it. A single refused row is a reject.
   */
  private async writeOrSplit(part: SinkRow[]): Promise<{ rows: number; refused: RejectRecord[]; refusedRows: Row[] } | null> {
    const { job } = this;
    const refused: RejectRecord[] = [];
    const refusedRows: Row[] = [];
    const refuse = (row: SinkRow, column: string | undefined, reason: string) => {
      refused.push(record(job.plan, row.key, column, undefined, reason, row.source));
      refusedRows.push(row.source);
    };
    try {
      const res = await job.target.transaction(() => job.sink.write(part, refuse));
      return { rows: res.rows, refused, refusedRows };
    } catch (e) {
      const why = job.sink.refusal(e);
      if (!why) throw e;
      if (part.length !== 1) return null;
      const row = part[0]!;
      const idx = why.column ? job.plan.columns.findIndex((c) => c.target === why.column) : -1;
      return {
        rows: 0,
        refused: [record(job.plan, row.key, why.column, idx >= 0 ? row.source[idx] : undefined, why.reason, row.source)],
        refusedRows: [row.source],
      };
    }
  }
}

/**
 * The row's own key for a reject record: its primary key's values when the table has one (a rowid
 * means nothing to the person fixing the row), else the chunk key (the rowid).
 */
function rowKey(plan: TablePlan, chunkKey: Value[], source: Row | undefined): Value[] {
  if (!plan.primaryKey || !source || plan.chunkKey.kind !== 'rowid') return chunkKey;
  const idx = plan.primaryKey.columns.map((c) => plan.columns.findIndex((x) => x.target === c));
  // A NULL in the key (SQLite allows it outside INTEGER PRIMARY KEY) names no row: the rowid does.
  return idx.every((i) => i >= 0 && source[i] !== null) ? idx.map((i) => source[i]!) : chunkKey;
}

function record(plan: TablePlan, chunkKey: Value[], column: string | undefined, value: Value | undefined, reason: string, source?: Row): RejectRecord {
  const key = rowKey(plan, chunkKey, source);
  const r: RejectRecord = { table: plan.source, key: key.length === 1 ? jsonSafe(key[0]!) : key.map(jsonSafe), reason };
  if (column !== undefined) r.column = column;
  if (value !== undefined) r.value = jsonSafe(value);
  return r;
}

function isSync<T>(x: Iterable<T> | AsyncIterable<T>): x is Iterable<T> {
  return typeof (x as Iterable<T>)[Symbol.iterator] === 'function';
}
