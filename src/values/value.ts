/**
 * A value as ferry moves it between engines. Integers are bigint so int64 stays exact; REAL and
 * double precision are number; blobs are Uint8Array (Buffer); text is string. Engines map their
 * own types onto these and back.
 */
export type Value = null | bigint | number | string | Uint8Array | boolean;
export type Row = Value[];
