/** A key as people read it in messages and reports: (1) or (1, 'a'), blobs as x'hex'. */
export function formatKey(values: unknown[]): string {
  const parts = values.map((v) => (typeof v === 'string' ? `'${v}'` : v instanceof Uint8Array ? `x'${Buffer.from(v).toString('hex')}'` : String(v)));
  return parts.length === 1 ? parts[0]! : `(${parts.join(', ')})`;
}
