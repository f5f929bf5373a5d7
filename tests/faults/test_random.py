"""Randomised, seeded fault schedules; each run checks the lifecycle invariants.

``make test`` runs two schedules; ``make faults`` runs hundreds, several at a
time, each in its own namespaces with its own server. Re-run one schedule with
``PARLEY_FAULT_SEED=<seed> PARLEY_LONG=1 pytest tests/faults/test_random.py``.
"""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

import pytest

from tests.faults.figures import record
from tests.faults.harness import Lab
from tests.faults.schedule import Outcome, Run, make_schedule

SEED = os.environ.get("PARLEY_FAULT_SEED")
RUNS = int(os.environ.get("PARLEY_FAULT_RUNS", "200"))
CONCURRENCY = int(os.environ.get("PARLEY_FAULT_CONCURRENCY", "8"))
MEDIA_RUNS = int(os.environ.get("PARLEY_FAULT_MEDIA_RUNS", "30"))
MEDIA_CONCURRENCY = 2
"""A media run's three or four participants encode and decode video: ~1.5 cores."""


async def run_schedules(tmp: Path, seeds: list[int], concurrency: int,
                        media: bool = False) -> list[Outcome]:
    gate = asyncio.Semaphore(concurrency)

    async def one(seed: int) -> Outcome:
        async with gate:
            run_dir = tmp / f"seed{seed}"
            run_dir.mkdir()
            lab = Lab(run_dir)
            try:
                return await Run(seed, lab, media).execute()
            except AssertionError as exc:
                return Outcome(seed, [f"harness: {exc}"])
            finally:
                await lab.close()

    return list(await asyncio.gather(*(one(s) for s in seeds)))


def _verdict(outcomes: list[Outcome]) -> None:
    failed = [o for o in outcomes if o.violations]
    report = "\n\n".join(f"seed {o.seed}:\n  " + "\n  ".join(o.violations) for o in failed)
    assert not failed, f"{len(failed)} of {len(outcomes)} schedules broke an invariant " \
                       f"(re-run one with PARLEY_FAULT_SEED=<seed>):\n{report}"


def test_schedules_are_reproducible_from_their_seed() -> None:
    assert make_schedule(7) == make_schedule(7)
    assert make_schedule(7) != make_schedule(8)
    kinds = {step.action for seed in range(50) for step in make_schedule(seed)}
    assert kinds == {"cut", "restore", "crash", "stop", "start", "join", "leave", "kill"}
    kinds = {step.action for seed in range(50) for step in make_schedule(seed, media=True)}
    assert {"block", "unblock"} <= kinds


async def test_two_random_fault_schedules_keep_the_lifecycle_invariants(tmp_path: Path) -> None:
    seeds = [int(SEED)] if SEED else [1, 2]
    _verdict(await run_schedules(tmp_path, seeds, concurrency=2))


async def test_a_random_fault_schedule_with_media_keeps_the_invariants(tmp_path: Path) -> None:
    seeds = [int(SEED)] if SEED else [3]
    _verdict(await run_schedules(tmp_path, seeds, concurrency=1, media=True))


def _record(name: str, outcomes: list[Outcome], concurrency: int, started: float) -> None:
    record("faults", name, {
        "runs": len(outcomes), "concurrency": concurrency,
        "sessions": sum(o.agents for o in outcomes),
        "lost_callbacks": sum(o.lost for o in outcomes),
        "closed_callbacks": sum(o.closed for o in outcomes),
        "join_errors": sum(o.join_errors for o in outcomes),
        "failed_runs": [o.seed for o in outcomes if o.violations],
        "minutes": round((time.monotonic() - started) / 60, 1)})


@pytest.mark.long
@pytest.mark.timeout(3600)
async def test_hundreds_of_random_fault_schedules(tmp_path: Path) -> None:
    seeds = [int(SEED)] if SEED else list(range(1000, 1000 + RUNS))
    started = time.monotonic()
    outcomes = await run_schedules(tmp_path, seeds, CONCURRENCY)
    _record("random_schedules", outcomes, CONCURRENCY, started)
    _verdict(outcomes)


@pytest.mark.long
@pytest.mark.timeout(3600)
async def test_random_fault_schedules_with_media(tmp_path: Path) -> None:
    seeds = [int(SEED)] if SEED else list(range(5000, 5000 + MEDIA_RUNS))
    started = time.monotonic()
    outcomes = await run_schedules(tmp_path, seeds, MEDIA_CONCURRENCY, media=True)
    _record("random_schedules_media", outcomes, MEDIA_CONCURRENCY, started)
    _verdict(outcomes)
