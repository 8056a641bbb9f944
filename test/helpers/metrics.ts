/** metrics.csv compared between runs: its rows without the time columns, which alone may differ. */
import { METRIC_COLUMNS, TIME_COLUMNS } from "../../src/io/metrics.js";

/** The rows of `csv` (header included) as cells, time columns left out. */
export function rowsWithoutTime(csv: string): string[][] {
  const kept = METRIC_COLUMNS.flatMap((name, i) => (TIME_COLUMNS.includes(name) ? [] : [i]));
  return csv
    .trimEnd()
    .split("\n")
    .map((line) => {
      const cells = line.split(",");
      return kept.map((i) => cells[i]);
    });
}
