"""Mode auto's decisions on scripted measurements: the policy alone, no processes, no timing."""

from __future__ import annotations

import math

import numpy as np
import pytest

from asapgraph.engine import auto
from asapgraph.engine.auto import AutoPolicy


def table(busy: list[float], change: float = 1.0, threshold: float = 1e-9,
          wait: list[float] | None = None) -> np.ndarray:
    """A gathered table: one row per worker, with ``busy`` (and ``wait``) seconds per superstep."""
    rows = np.zeros((len(busy), auto.FIXED + 2))
    rows[:, auto.BUSY] = busy
    rows[:, auto.WAIT] = wait if wait is not None else 0.0
    rows[:, auto.CHANGE] = change / len(busy)
    rows[:, auto.THRESHOLD] = threshold / len(busy)
    return rows


def feed(policy: AutoPolicy, tables: list[np.ndarray]) -> list[auto.Phase | None]:
    return [policy.after_superstep(k, t) for k, t in enumerate(tables)]


def test_a_straggler_switches_to_asap_after_the_probe() -> None:
    policy = AutoPolicy(None)
    assert policy.start().mode == "bsp"
    slow = [0.1, 0.3, 0.1, 0.1]
    decisions = feed(policy, [table(slow, change=0.5**k) for k in range(4)])
    # The first superstep warms caches; two more are measured; the third decides.
    assert decisions[:2] == [None, None]
    phase = decisions[2]
    assert phase is not None
    assert phase.mode == "asap"
    assert phase.first == 3
    assert "imbalance 3.00×" in phase.reason
    assert [p.mode for p in policy.phases] == ["bsp", "asap"]
    assert policy.phases[0].last == 2
    path = policy.close(40)
    assert path[-1]["last"] == 40
    assert path[-1]["mode"] == "asap"


def test_balanced_workers_stay_in_bsp_and_say_why() -> None:
    policy = AutoPolicy(None)
    policy.start()
    decisions = feed(policy, [table([0.1, 0.11, 0.1, 0.12], change=0.5**k) for k in range(8)])
    assert decisions == [None] * 8
    assert [p.mode for p in policy.phases] == ["bsp"]
    assert policy.phases[0].reason.startswith("balanced")


def test_one_slow_superstep_is_not_enough() -> None:
    # The median over the probe window ignores a single hiccup.
    policy = AutoPolicy(None)
    policy.start()
    busy = [[0.1] * 4, [0.1, 0.5, 0.1, 0.1], [0.1] * 4, [0.1] * 4]
    assert feed(policy, [table(b, change=0.5**k) for k, b in enumerate(busy)]) == [None] * 4


def test_no_switch_when_the_run_is_about_to_end() -> None:
    # Change halves each superstep and is 4x the threshold: about 2 supersteps left.
    policy = AutoPolicy(None)
    policy.start()
    tables = [table([0.1, 0.3], change=16 * 0.5**k, threshold=1.0) for k in range(3)]
    assert feed(policy, tables) == [None, None, None]
    assert "left" in policy.phases[0].reason


def test_a_program_synchronous_by_design_never_leaves_bsp() -> None:
    policy = AutoPolicy("it reads the round before")
    assert "cannot gain from asynchrony: it reads the round before" in policy.start().reason
    assert feed(policy, [table([0.1, 0.9]) for _ in range(6)]) == [None] * 6
    assert policy.after_verification(10, table([0.1, 0.1])) is None


def test_back_to_bsp_once_the_imbalance_is_gone() -> None:
    policy = AutoPolicy(None)
    policy.start()
    feed(policy, [table([0.1, 0.3], change=0.5**k) for k in range(3)])
    assert policy.after_verification(20, table([0.1, 0.3])) is None  # still imbalanced
    phase = policy.after_verification(30, table([0.1, 0.105]))
    assert phase is not None
    assert phase.mode == "bsp"
    assert phase.first == 31
    assert [p.mode for p in policy.phases] == ["bsp", "asap", "bsp"]


def test_slow_workers_are_measured_against_each_worker_itself() -> None:
    policy = AutoPolicy(None)
    busy = np.array([0.1, 0.3, 0.11, 0.1])
    assert policy.slow_workers(busy, own=0) == {1}
    assert policy.slow_workers(busy, own=1) == set()  # the straggler waits for everyone


@pytest.mark.parametrize(("posted", "rounds", "lagging"),
                         [(10, 10, False), (8, 10, False), (7, 10, True), (3, 10, True)])
def test_a_neighbour_lags_when_it_posts_too_few_messages_per_round(posted, rounds, lagging):
    assert auto.lags(posted, rounds) is lagging


def test_rounds_left_from_the_contraction() -> None:
    assert auto.rounds_left([8.0, 4.0], 1.0) == pytest.approx(2.0)
    assert auto.rounds_left([4.0], 1.0) == math.inf
    assert auto.rounds_left([4.0, 4.0], 1.0) == math.inf  # no contraction measured
    assert auto.rounds_left([2.0, 0.5], 1.0) == 0.0


def test_even_busy_times_but_long_barrier_waits_switch_and_stay() -> None:
    """More workers than cores: busy times are even, yet each waits most of a superstep."""
    policy = AutoPolicy(None)
    policy.start()
    busy, wait = [0.01] * 4, [0.02, 0.03, 0.025, 0.02]
    decisions = feed(policy, [table(busy, change=0.5**k, wait=wait) for k in range(3)])
    phase = decisions[2]
    assert phase is not None
    assert phase.mode == "asap"
    assert phase.trigger == "waiting"
    assert "barrier waits" in phase.reason
    assert "waited 69%" in phase.reason
    # Verification rounds in ASAP see even busy times: a switch for waiting is kept.
    assert policy.after_verification(20, table(busy)) is None
    assert [p.mode for p in policy.phases] == ["bsp", "asap"]


def test_short_barrier_waits_keep_bsp() -> None:
    policy = AutoPolicy(None)
    policy.start()
    tables = [table([0.1] * 4, change=0.5**k, wait=[0.01] * 4) for k in range(6)]
    assert feed(policy, tables) == [None] * 6
    assert "median waiting 9% of a superstep" in policy.phases[0].reason
