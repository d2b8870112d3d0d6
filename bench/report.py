"""Print the results of a run as the Markdown tables of bench/README.md.

python -m bench.report [full|quick]
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import Any

from bench.common import RESULTS


def _load(mode: str, name: str) -> Any:
    path = RESULTS / mode / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else None


def _f(value: Any, digits: int = 1) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def generation(mode: str) -> list[str]:
    data = _load(mode, "generate") or {}
    lines = [
        "| database | patients (total) | added | rows inserted | seconds | rows/s | peak RSS MiB |",
        "|---|---|---|---|---|---|---|",
    ]
    runs = list(data.get("postgresql") or []) if isinstance(data.get("postgresql"), list) else []
    if isinstance(data.get("sqlite"), dict):
        runs.append(data["sqlite"])
    for run in runs:
        if "error" in run:
            lines.append(f"| error | {run['error'][:80]} |||||")
            continue
        lines.append(
            f"| {run['database']} | {_f(run['patients'])} | {_f(run['patients_added'])} | "
            f"{_f(run['rows_inserted'])} | {_f(run['seconds'])} | {_f(run['rows_per_second'])} | "
            f"{_f(run['peak_rss_mb'])} |"
        )
    return lines


def monitoring(mode: str) -> list[str]:
    data = _load(mode, "monitoring") or {}
    lines = [
        "| database | patients | SQL floor s | sweep s (no flags) | sweep s (again) | "
        "sweep ÷ floor (no flags / again) | on two workers s (÷ floor) | "
        "peak RSS MiB (sweep) | per-patient sweep s (extrapolated) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    groups = [("postgresql", data.get("postgresql"))]
    if data.get("sqlite"):
        groups.append(("sqlite", [data["sqlite"]]))
    for name, runs in groups:
        if not isinstance(runs, list):
            continue
        for run in runs:
            if "sweep_fresh" not in run:
                lines.append(f"| {name} | {_f(run['patients'])} | {run.get('result', '–')} ||||||")
                continue
            floor, fresh, steady = run.get("floor", {}), run["sweep_fresh"], run["sweep_steady"]
            workers = run.get("sweep_workers") or {}
            on_workers = (
                f"{_f(workers['seconds'], 2)} ({_f(run.get('workers_ratio_to_floor'), 2)})"
                if workers.get("seconds")
                else "–"
            )
            lines.append(
                f"| {name} | {_f(run['patients'])} | {_f(floor.get('seconds'), 2)} | "
                f"{_f(fresh.get('seconds'), 2)} | {_f(steady.get('seconds'), 2)} | "
                f"{_f(run.get('ratio_to_floor'), 2)} / {_f(run.get('steady_ratio_to_floor'), 2)} | "
                f"{on_workers} | {_f(fresh.get('peak_rss_mb'))} | "
                f"{_f(run.get('legacy_extrapolated_seconds'))} |"
            )
    return lines


def api(mode: str) -> list[str]:
    data = _load(mode, "api") or {}
    if "endpoints" not in data:
        return [f"API: {data.get('result') or data.get('error') or 'not run'}"]
    lines = [
        "| endpoint | clients | API req/s | API p50/p95/p99 ms | floor req/s | "
        "floor p50/p95/p99 ms | errors (API/floor) | p95 API ÷ floor |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, rows in data["endpoints"].items():
        if isinstance(rows, str):
            lines.append(f"| {name} | {rows} |||||||")
            continue
        for row in rows:
            floor, measured = row["floor"], row["api"]
            if isinstance(measured, str):
                api_cells = f"{measured} | – "
                errors = f"– / {floor['errors']}"
            else:
                api_cells = (
                    f"{_f(measured['throughput_rps'])} | {_f(measured['p50_ms'])} / "
                    f"{_f(measured['p95_ms'])} / {_f(measured['p99_ms'])}"
                )
                errors = f"{measured['errors']} / {floor['errors']}"
            lines.append(
                f"| {name} | {row['clients']} | {api_cells} | {_f(floor['throughput_rps'])} | "
                f"{_f(floor['p50_ms'])} / {_f(floor['p95_ms'])} / {_f(floor['p99_ms'])} | "
                f"{errors} | {_f(row.get('p95_ratio'), 2)} |"
            )
    return lines


def main(argv: Sequence[str] | None = None) -> None:
    mode = (argv or sys.argv[1:] or ["full"])[0]
    sections = {
        "Data generation": generation(mode),
        "Monitoring sweep": monitoring(mode),
        "API": api(mode),
    }
    for title, lines in sections.items():
        print(f"\n### {title}\n")  # noqa: T201
        print("\n".join(lines))  # noqa: T201
    for name in ("planner", "reminders"):
        print(f"\n### {name}\n\n```json\n{json.dumps(_load(mode, name), indent=2)}\n```")  # noqa: T201


if __name__ == "__main__":
    main()
