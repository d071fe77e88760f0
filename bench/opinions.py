"""Opinion groups of 10,000 residents over 2,000 wishes: time and peak memory of the analysis.

Each case runs in a fresh process: residents of four planted opinion groups each vote on a few
wishes drawn at random (agree, disagree or pass by their group's leaning), then
:func:`bot.synthesis.opinions.analyse` runs on the votes as a list of tuples (as the caller
reads them from the database). One JSON line per case: wall time of the analysis, the process's
peak RSS (and its RSS before the analysis, the votes already in memory), the groups found and
their agreement with the planted ones (adjusted Rand index). The last line times
:func:`~bot.synthesis.opinions.next_wish` over 2,000 candidates. Target: the 10,000 × 2,000 case
under a minute.

    python bench/opinions.py
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import subprocess
import sys
import time
from datetime import UTC, datetime
from importlib.metadata import version
from typing import Any

import numpy as np

from bot.synthesis.opinions import Counts, analyse, next_wish

CASES = [(1_000, 200, 20), (10_000, 2_000, 20), (10_000, 2_000, 100), (50_000, 2_000, 20)]
"""(residents, wishes, votes per resident)."""
GROUPS = 4


def machine() -> dict[str, Any]:
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "uname": " ".join(platform.uname()),
        "nproc": os.cpu_count(),
        "load_1m": round(os.getloadavg()[0], 2),  # the machine is shared: other work slows the run
        "python": platform.python_version(),
        "numpy": version("numpy"),
        "scipy": version("scipy"),
        "scikit-learn": version("scikit-learn"),
    }


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def simulate(residents: int, wishes: int, per: int, seed: int = 0) -> tuple[list[tuple[int, int, int]], Any]:
    """Votes of residents in :data:`GROUPS` planted groups, and each resident's group."""
    rng = np.random.default_rng(seed)
    group = rng.integers(0, GROUPS, residents)
    leaning = rng.uniform(0.1, 0.9, (GROUPS, wishes))  # probability of agreeing
    participant = np.repeat(np.arange(residents), per)
    wish = np.concatenate([rng.choice(wishes, per, replace=False) for _ in range(residents)])
    agree = rng.random(residents * per) < leaning[group[participant], wish]
    value = np.where(agree, 1, np.where(rng.random(residents * per) < 0.8, -1, 0))
    return list(zip(participant.tolist(), wish.tolist(), value.tolist(), strict=True)), group


def case(residents: int, wishes: int, per: int) -> dict[str, Any]:
    from sklearn.metrics import adjusted_rand_score  # type: ignore[import-untyped]

    votes, truth = simulate(residents, wishes, per)
    before = rss_mb()
    start = time.perf_counter()
    opinions = analyse(votes, seed=0)
    seconds = time.perf_counter() - start
    placed = sorted(opinions.positions)
    found = {member: g.id for g in opinions.groups for member in g.members}
    return {
        "case": f"{residents}x{wishes}, {per} votes each",
        "votes": len(votes),
        "analysis_s": round(seconds, 2),
        "peak_rss_mb": round(rss_mb(), 1),
        "rss_before_analysis_mb": round(before, 1),
        "placed": opinions.placed,
        "groups": [g.size for g in opinions.groups],
        "silhouette": None if opinions.silhouette is None else round(opinions.silhouette, 3),
        "ari_vs_planted": round(float(adjusted_rand_score(truth[placed], [found[p] for p in placed])), 3),
        "consensus": len(opinions.consensus),
        "representatives": [len(g.representatives) for g in opinions.groups],
        "shown": opinions.shown,
        **machine(),
    }


def routing(wishes: int = 2_000, calls: int = 2_000) -> dict[str, Any]:
    rng = random.Random(0)
    candidates = {w: Counts(rng.randrange(50), rng.randrange(50), rng.randrange(10)) for w in range(wishes)}
    extremity = {w: rng.random() for w in range(wishes)}
    start = time.perf_counter()
    for _ in range(calls):
        next_wish(candidates, rng, extremity=extremity)
    seconds = time.perf_counter() - start
    return {
        "case": f"next_wish over {wishes} candidates",
        "per_call_ms": round(seconds / calls * 1000, 3),
        "peak_rss_mb": round(rss_mb(), 1),
        **machine(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--case", help="residents,wishes,per: run one case in this process")
    args = parser.parse_args()
    if args.case:
        residents, wishes, per = (int(x) for x in args.case.split(","))
        print(json.dumps(case(residents, wishes, per), ensure_ascii=False), flush=True)
        return
    for residents, wishes, per in CASES:
        # A fresh process per case, so that each peak RSS is its own.
        subprocess.run([sys.executable, __file__, "--case", f"{residents},{wishes},{per}"], check=True)
    print(json.dumps(routing(), ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
