/**
 * Joining tokens back into SQL text after a token-level rewrite (the expression translations between
 * SQLite and PostgreSQL both work on this tokenizer's tokens).
 */

/** One output token; `glue` = no space before it. */
export interface Piece {
  text: string;
  glue?: boolean;
}

/**
 * Joins output tokens with single spaces, none after `(` or before `)` and `,`. Working on whole
 * tokens keeps the spaces inside string literals untouched.
 */
export function joinPieces(pieces: Piece[]): string {
  let out = '';
  const kept = pieces.filter((p) => p.text !== '');
  kept.forEach((p, i) => {
    const before = kept[i - 2]?.text;
    // A sign right after an operator, keyword, `(` or `,` is unary: `>= -1`, not `>= - 1`.
    const unary = (kept[i - 1]?.text === '-' || kept[i - 1]?.text === '+') && (before === undefined || !/[\w"')\]]$/.test(before) || /^[A-Z]+$/.test(before));
    const tight = out === '' || p.glue || unary || p.text === ')' || p.text === ',' || out.endsWith('(');
    out += tight ? p.text : ` ${p.text}`;
  });
  return out;
}
