/** "Did you mean": the closest of some valid names to a mistyped one. */

/** Levenshtein distance, case-insensitive, with '_' and '-' alike (nat_table is nat-table). */
export function editDistance(a: string, b: string): number {
  const norm = (s: string): string => s.toLowerCase().replace(/_/g, "-");
  const [x, y] = [norm(a), norm(b)];
  let prev = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const row = [i];
    for (let j = 1; j <= y.length; j++) {
      row.push(Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (x[i - 1] === y[j - 1] ? 0 : 1)));
    }
    prev = row;
  }
  return prev[y.length]!;
}

/** The valid name nearest to `name`, if it is near enough to be a typo (a third
 * of its letters, at least 2); ties go to the first in `valid`. */
export function closest(name: string, valid: readonly string[]): string | undefined {
  const limit = Math.max(2, Math.floor(name.length / 3));
  let best: string | undefined;
  let bestD = Infinity;
  for (const v of valid) {
    const d = editDistance(name, v);
    if (d < bestD) [best, bestD] = [v, d];
  }
  return bestD <= limit ? best : undefined;
}
