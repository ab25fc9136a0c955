import type { Engine } from '../engine/types.js';
import type { Row, Value } from '../values/value.js';
import { ChecksumAccumulator } from '../values/checksum.js';
import { ConversionError, convertOptionsOf, converterFor, normalizerFor } from '../values/convert-value.js';
import type { CopyState, TableState } from './copy-state.js';
import type { RejectRecord } from './copy-types.js';
import type { TablePlan } from '../engine/table-plan.js';
import { jsonSafe } from '../values/json-safe.js';
import type { RejectLog } from './reject-log.js';
import type { SinkItem, SinkRow, TableSink } from '../engine/table-sink.js';

/** Reads a table's rows in key order: each row is the key values, then the plan's columns. */
export interface TableSource {
  /** How many leading values of each row are the key. */
  readonly keyWidth: number;
  /** Values arrive as PostgreSQL's text output (COPY TO), not as typed values. */
  readonly pgText?: boolean;
  /** Rows after `after` (all when null) and up to `upTo` when given. */
  read(after: Value[] | null, upTo?: Value[] | null): Iterable<Row> | AsyncIterable<Row>;
  /**
   * The next `limit` rows after `after`, already encoded in the sink's wire format by the source
   * engine (null `encoded`: some value needs JavaScript, so read that run with `read`).
   */
  readEncoded?(after: Value[] | null, limit: number): { encoded: Buffer | null; rows: number; lastKey: Value[] | null };
}

/** Rows per natively encoded run at most: enough to amortise a query, few enough to redo in JS. */
const ENCODED_RUN = 4096;
/** Bytes a natively encoded run aims at, so wide rows (blobs) keep memory flat. */
const ENCODED_RUN_BYTES = 256 * 1024;

/** Everything loading one table needs; the runner builds it per table. */
export interface LoadTableJob {
  plan: TablePlan;
  source: TableSource;
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

/** Rows between progress reports. */
const PROGRESS_EVERY = 10_000;

/**
 * Loads a table chunk by chunk. Each chunk is one transaction holding its rows and the state row
 * that records the last key, so a run killed at any instant resumes after the last committed chunk
 * without duplicating a row. Rows that cannot be converted, or that the target refuses, go to the
 * reject log and are left out; they never take good rows down with them.
 */
export async function loadTable(job: LoadTableJob): Promise<void> {
  const { plan, tableState: ts } = job;
  const pgText = job.source.pgText ?? false;
  const converters = plan.columns.map((c) => converterFor(c.logical, convertOptionsOf(c, pgText)));
  // Rejected rows leave verify's source digest as verify reads them: without the target's limits.
  const normalizers = plan.columns.map((c) => normalizerFor(c.logical, convertOptionsOf({ epoch: c.epoch, zonelessUtc: c.zonelessUtc }, pgText)));
  const keyed = job.source.keyWidth > 0;
  // A keyless table cannot resume mid-way: it is one chunk, committed with its state.
  const batchSize = keyed ? Math.max(1, job.batchSize) : Number.MAX_SAFE_INTEGER;
  let sent = 0;
  let bytesSent = 0;

  const toSinkRow = (raw: Row, refused: RejectRecord[], refusedRows: Row[]): SinkRow | null => {
    const key = raw.slice(0, job.source.keyWidth);
    const source = job.source.keyWidth ? raw.slice(job.source.keyWidth) : raw;
    const values: Row = new Array(source.length);
    for (let i = 0; i < source.length; i++) {
      try {
        values[i] = converters[i]!(source[i]!);
      } catch (e) {
        if (!(e instanceof ConversionError)) throw e;
        refused.push(record(plan, key, plan.columns[i]!.source, source[i]!, e.reason, source));
        refusedRows.push(source);
        return null;
      }
    }
    return { key, source, values };
  };

  let after = ts.lastKey;
  for (;;) {
    let lastKey = after;
    let count = 0;
    let ended = true;
    const refused: RejectRecord[] = [];
    const refusedRows: Row[] = [];
    const tick = (row: Row) => {
      count++;
      lastKey = row.slice(0, job.source.keyWidth);
      if (++sent % PROGRESS_EVERY === 0) job.onProgress(sent, bytesSent);
    };
    const encoded = job.source.readEncoded && job.sink.encodedFormat === 'postgres-binary' ? job.source.readEncoded.bind(job.source) : null;
    const input = encoded ? [] : job.source.read(after);
    const rows = encoded
      ? (function* (): Generator<SinkItem> {
          let from = after;
          let runRows = 256;
          for (;;) {
            if (count >= batchSize) {
              ended = false;
              return;
            }
            const limit = Math.min(runRows, batchSize - count);
            const run = encoded(from, limit);
            if (run.rows === 0) return;
            if (run.encoded) {
              // Size the next run from this one's bytes per row.
              runRows = Math.max(16, Math.min(ENCODED_RUN, Math.floor((ENCODED_RUN_BYTES * run.rows) / Math.max(1, run.encoded.length))));
              yield { encoded: run.encoded, rows: run.rows };
              count += run.rows;
              lastKey = run.lastKey;
              sent += run.rows;
              if (sent % PROGRESS_EVERY < run.rows) job.onProgress(sent, bytesSent);
            } else {
              // Some value in this run needs converting (or rejecting): the same rows, in JS.
              for (const raw of job.source.read(from, run.lastKey) as Iterable<Row>) {
                tick(raw);
                const r = toSinkRow(raw, refused, refusedRows);
                if (r) yield r;
              }
            }
            from = run.lastKey;
            if (run.rows < limit) return;
          }
        })()
      : isSync(input)
        ? (function* () {
            for (const raw of input) {
              if (count >= batchSize) {
                ended = false;
                break;
              }
              tick(raw);
              const r = toSinkRow(raw, refused, refusedRows);
              if (r) yield r;
            }
          })()
        : (async function* () {
            for await (const raw of input) {
              if (count >= batchSize) {
                ended = false;
                break;
              }
              tick(raw);
              const r = toSinkRow(raw, refused, refusedRows);
              if (r) yield r;
            }
          })();
    const refuse = (row: SinkRow, column: string | undefined, reason: string) => {
      refused.push(
        record(
          plan,
          row.key,
          column,
          column ? row.source[plan.columns.findIndex((c) => c.target === column || c.source === column)] : undefined,
          reason,
          row.source,
        ),
      );
      refusedRows.push(row.source);
    };
    const before = { ...ts };
    const rejectsBefore = ts.rejects;
    try {
      await job.target.transaction(async () => {
        const written = await job.sink.write(rows, refuse);
        bytesSent += written.bytes;
        await commitChunk(job, ts, normalizers, written.rows, refused, refusedRows, lastKey);
      });
    } catch (e) {
      if (!job.sink.wholeChunkFails || !job.sink.refusal(e) || !keyed) throw e;
      // The target refused something in this chunk: redo just these rows, narrowing down to the
      // ones it will not take. Everything sent so far lies in (after, lastKey].
      Object.assign(ts, before);
      await isolateChunk(job, ts, normalizers, toSinkRow, after, lastKey);
    }
    // Counted after the commit: stopping for too many rejects keeps this chunk, so a resumed run
    // (with a higher --max-rejects) neither redoes nor re-reports it.
    job.rejects.count(ts.rejects - rejectsBefore);
    job.onProgress(sent, bytesSent);
    after = lastKey;
    if (ended) break;
    if (job.stop?.()) return;
  }
  ts.phase = 'loaded';
  await job.state.save(ts);
}

/** Writes a chunk's rejects and records its progress, inside the chunk's transaction. */
async function commitChunk(
  job: LoadTableJob,
  ts: TableState,
  normalizers: ((v: Value) => Value)[],
  written: number,
  refused: RejectRecord[],
  refusedRows: Row[],
  lastKey: Value[] | null,
): Promise<void> {
  // The reject file is written before the commit: a kill in between repeats a reject line on
  // resume, which is better than losing one.
  if (refused.length) job.rejects.write(refused);
  if (refusedRows.length) {
    const rejected = ts.rejectedDigest ? ChecksumAccumulator.fromDigest(ts.rejectedDigest) : new ChecksumAccumulator();
    for (const r of refusedRows) rejected.addRow(r.map((v, i) => normalizers[i]!(v)));
    ts.rejectedDigest = rejected.digest();
  }
  ts.rowsCopied += written;
  ts.rejects += refused.length;
  ts.lastKey = lastKey;
  ts.phase = 'loading';
  await job.state.save(ts);
}

/** Re-reads (after, upTo] and writes it in ever smaller parts until only refused rows are left out. */
async function isolateChunk(
  job: LoadTableJob,
  ts: TableState,
  normalizers: ((v: Value) => Value)[],
  toSinkRow: (raw: Row, refused: RejectRecord[], refusedRows: Row[]) => SinkRow | null,
  after: Value[] | null,
  upTo: Value[] | null,
): Promise<void> {
  const refused: RejectRecord[] = [];
  const refusedRows: Row[] = [];
  const rows: SinkRow[] = [];
  const input = job.source.read(after, upTo);
  if (isSync(input)) for (const raw of input) push(raw);
  else for await (const raw of input) push(raw);
  function push(raw: Row) {
    const r = toSinkRow(raw, refused, refusedRows);
    if (r) rows.push(r);
  }
  let written = 0;
  const attempt = async (part: SinkRow[]): Promise<void> => {
    const local: RejectRecord[] = [];
    const localRows: Row[] = [];
    const refuse = (row: SinkRow, column: string | undefined, reason: string) => {
      local.push(record(job.plan, row.key, column, undefined, reason, row.source));
      localRows.push(row.source);
    };
    try {
      const res = await job.target.transaction(() => job.sink.write(part, refuse));
      written += res.rows;
      refused.push(...local);
      refusedRows.push(...localRows);
    } catch (e) {
      const why = job.sink.refusal(e);
      if (!why) throw e;
      if (part.length === 1) {
        const row = part[0]!;
        const idx = why.column ? job.plan.columns.findIndex((c) => c.target === why.column) : -1;
        refused.push(record(job.plan, row.key, why.column, idx >= 0 ? row.source[idx] : undefined, why.reason, row.source));
        refusedRows.push(row.source);
        return;
      }
      const mid = Math.ceil(part.length / 2);
      await attempt(part.slice(0, mid));
      await attempt(part.slice(mid));
    }
  };
  await job.target.transaction(async () => {
    await attempt(rows);
    await commitChunk(job, ts, normalizers, written, refused, refusedRows, upTo);
  });
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
