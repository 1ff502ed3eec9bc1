"""Print locust's CSV statistics as the table of issue 18: requests/s, p50/p95/p99 and errors per row and in all."""

import csv
import sys


def main(stats_path: str, failures_path: str | None = None) -> int:
    with open(stats_path, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    header = ("row", "requests", "errors", "req/s", "p50 ms", "p95 ms", "p99 ms")
    lines = []
    for row in rows:
        name = "TOTAL" if row["Name"] == "Aggregated" else f"{row['Type']} {row['Name']}"
        lines.append(
            (
                name,
                row["Request Count"],
                row["Failure Count"],
                f"{float(row['Requests/s']):.1f}",
                row["50%"],
                row["95%"],
                row["99%"],
            )
        )
    widths = [max(len(str(line[i])) for line in [header, *lines]) for i in range(len(header))]
    for line in [header, tuple("-" * w for w in widths), *lines]:
        cells = zip(line, widths, strict=True)
        print("  ".join(str(c).ljust(w) if i == 0 else str(c).rjust(w) for i, (c, w) in enumerate(cells)))
    if failures_path:
        try:
            with open(failures_path, newline="", encoding="utf-8") as handle:
                for failure in csv.DictReader(handle):
                    where = f"{failure['Method']} {failure['Name']}"
                    print(f"failure: {where} ×{failure['Occurrences']}: {failure['Error']}")
        except FileNotFoundError:
            pass
    total = next((row for row in rows if row["Name"] == "Aggregated"), None)
    if total:
        print(
            f"total: {float(total['Requests/s']):.1f} requests/s, p50 {total['50%']} ms, p95 {total['95%']} ms, "
            f"p99 {total['99%']} ms, {total['Failure Count']} errors of {total['Request Count']} requests "
            "(target: ≥ 200 requests/s, p95 ≤ 100 ms, no error)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
