"""Planner throughput: programmes generated per second by the pure `plan(intake, catalogue)`.

    python -m bench.planner --database URL [--seconds 5]

The intakes are the generator's clinic mix (conditions weighted as a clinic sees them, sides,
irritability, activity, age, swelling, circulation, protocol choice), all distinct objects,
planned in a loop for a fixed time on one core. The catalogue snapshot is built once, as in
the app. Also timed: the same mix including intakes the planner refers (red flags, refer-only
conditions), since a clinic plans those too.
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from bench.common import emit, setup_django
from bench.generate import CONDITION_WEIGHTS, _pick, draw_intake


def intakes(catalogue: Any, count: int, *, referrals: bool, seed: int = 6) -> list[Any]:
    rng = random.Random(seed)
    weights = {c: w for c, w in CONDITION_WEIGHTS.items() if c in catalogue.conditions}
    refer_only = [
        slug for slug, c in catalogue.conditions.items() if c.home_status.startswith("refer")
    ]
    drawn = []
    for _ in range(count):
        intake = draw_intake(rng, catalogue, _pick(rng, weights))
        if referrals and rng.random() < 0.1:
            if rng.random() < 0.5:
                intake = replace(
                    intake, red_flags=frozenset({rng.choice(list(catalogue.red_flags))})
                )
            else:
                intake = draw_intake(rng, catalogue, rng.choice(refer_only))
        drawn.append(intake)
    return drawn


def rate(catalogue: Any, mix: list[Any], seconds: float) -> dict[str, Any]:
    from programmes.planner import ProgrammePlan, plan

    done = programmes = 0
    started = time.perf_counter()
    while time.perf_counter() - started < seconds:
        for intake in mix:
            if isinstance(plan(intake, catalogue), ProgrammePlan):
                programmes += 1
        done += len(mix)
    elapsed = time.perf_counter() - started
    return {
        "plans": done,
        "programmes": programmes,
        "seconds": round(elapsed, 3),
        "plans_per_second": round(done / elapsed),
        "programmes_per_second": round(programmes / elapsed),
        "microseconds_per_plan": round(elapsed / done * 1e6, 1),
    }


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="planner throughput")
    parser.add_argument("--database", required=True)
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args(argv)
    setup_django(args.database)
    from programmes.selectors import catalogue_snapshot

    catalogue = catalogue_snapshot()
    home = intakes(catalogue, 2000, referrals=False)
    mixed = intakes(catalogue, 2000, referrals=True)
    emit(
        {
            "intakes": len(home),
            "distinct_intakes": len(set(home)),
            "home_mix": rate(catalogue, home, args.seconds),
            "with_referrals": rate(catalogue, mixed, args.seconds / 2),
        }
    )


if __name__ == "__main__":
    main()
