/** What an engine's tables can hold: which names, and how many columns. */
export interface TargetLimits {
  /** Why the engine cannot hold a table or column name, or null. */
  nameProblem(name: string, kind: 'table' | 'column'): string | null;
  /** The most columns a table may have. */
  maxColumns: number;
}
