/** Output of the ops commands: aligned tables for people, JSON lines (`--json`) for programs. */

export type Cell = string | number | boolean | undefined;

export interface Column<T> {
  readonly header: string;
  readonly value: (row: T) => Cell;
  /** Longest text shown in a table cell; longer text ends in `…` (JSON output keeps all of it). */
  readonly maxWidth?: number;
}

const EMPTY = "-";

function text(cell: Cell, maxWidth: number | undefined): string {
  if (cell === undefined || cell === "") return EMPTY;
  const s = String(cell).replace(/\s+/g, " ");
  return maxWidth !== undefined && s.length > maxWidth ? `${s.slice(0, maxWidth - 1)}…` : s;
}

/**
 * An aligned table: a header row, then one row per item; columns two spaces apart, numbers (and
 * their headers) right-aligned, missing values as `-`. Returns its lines (none when there are no rows).
 */
export function table<T>(rows: readonly T[], columns: readonly Column<T>[]): string[] {
  if (rows.length === 0) return [];
  const cells = rows.map((row) => columns.map((c) => c.value(row)));
  const shown = cells.map((row) => row.map((cell, i) => text(cell, columns[i]?.maxWidth)));
  const widths = columns.map((c, i) => Math.max(c.header.length, ...shown.map((row) => row[i]?.length ?? 0)));
  const numeric = columns.map(
    (_, i) =>
      cells.some((row) => typeof row[i] === "number") &&
      cells.every((row) => row[i] === undefined || typeof row[i] === "number"),
  );
  const line = (values: readonly string[]) =>
    values
      .map((v, i) => (numeric[i] ? v.padStart(widths[i] ?? 0) : v.padEnd(widths[i] ?? 0)))
      .join("  ")
      .trimEnd();
  return [line(columns.map((c) => c.header)), ...shown.map(line)];
}

/** One JSON object per line; numbers stay numbers. */
export function jsonLines(rows: readonly object[]): string[] {
  return rows.map((row) => JSON.stringify(row));
}
