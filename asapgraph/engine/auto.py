"""Mode ``auto``: choose between BSP and ASAP, and whom to wait for, from what the run measures.

No fixed mode wins everywhere (DESIGN §4): without a straggler BSP and ASAP fan-in all are equal
and looser fan-ins lose; with one, ASAP wins because the fast workers stop waiting for it, and the
slow worker computes on fresher inputs. So ``auto`` measures instead of asking the user:

- It starts bulk-synchronously. Each superstep's reduction (which BSP does anyway for its stopping
  test) also carries every worker's busy time (compute and merge) and waiting time, so every
  worker sees the same table and takes the same decision without another message.
- It switches to ASAP once the slowest worker's busy time per superstep, over the last
  ``PROBE_SUPERSTEPS`` supersteps (the first one, which warms caches, left out; each worker's
  least, so that one slow superstep is no straggler), exceeds the median worker's by
  ``SWITCH_IMBALANCE``: the others then wait that share of each superstep, and
  an ASAP round lets them use it. It also switches when busy times are even but the median
  worker still spends ``SWITCH_WAITING`` of each superstep waiting at the barrier: more workers
  than free cores (the barrier waits for descheduled peers) or rounds so short that the barrier
  is their cost — measured here: PageRank on p2p-Gnutella31 with 4 workers on 2 cores waited
  88% of its BSP time and ran 1.6× faster in ASAP. A switch for waiting is kept to the end (what
  made the barrier costly does not pass); one for imbalance is revisited (below). It stays in
  BSP when the run is about to end anyway: the
  contraction of the change per superstep (rounds-to-progress) says how many supersteps are left,
  and a switch costs a verification round.
- In ASAP each worker waits, round by round, only for the in-neighbours that keep up with it: the
  lag of a neighbour is measured from how many messages it has posted per round of this worker
  (at first, from the supersteps' busy times), and one posting fewer than 1/(1 + ``LAG_MARGIN``)
  messages per round is merged whenever it has news, never waited for, except at the staleness
  bound. Without a straggler that is every neighbour (fan-in all); with one, the fast workers stop
  waiting for the slow one while it still waits for them, and so reads their freshest values.
- At every verification round (a synchronous round with the same table) the choice is revisited:
  once the imbalance has gone (below ``RETURN_IMBALANCE``), the run goes back to BSP.
- A program that declares it cannot gain from asynchrony (``synchronous_by_design``: label
  propagation reads the round before by design; connected components' first round is most of
  the work) runs bulk-synchronously throughout, and the path says why.

The path taken (phases with their first and last rounds and the measurement behind each switch)
is recorded in every worker's statistics, alike on every worker.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

SWITCH_IMBALANCE = 1.3  # slowest worker's busy time over the median's that makes BSP wait
SWITCH_WAITING = 0.4  # share of a superstep the median worker waits that makes the barrier cost
RETURN_IMBALANCE = 1.15  # below this (hysteresis) an ASAP phase goes back to BSP
PROBE_SUPERSTEPS = 2  # supersteps measured before a decision (after the first)
LAG_MARGIN = 0.3  # a neighbour posting 1/(1 + this) messages per own round or fewer lags
MIN_ROUNDS_LEFT = 3  # a switch costs a verification round: not worth it closer to the end

# Columns of the per-worker table a synchronous round gathers: these, then the change and norm
# figures the stopping test sums (one each, or one per state column).
BUSY, WAIT, ROUNDS, HELD, THRESHOLD, CHANGE = range(6)
FIXED = 6


@dataclass
class Phase:
    """One stretch of the run in one mode: rounds ``first``..``last`` (of worker 0's count)."""

    mode: str
    first: int
    reason: str
    last: int | None = None
    waits: str = "all in-neighbours"
    trigger: str = ""  # what a switch to ASAP answered: "imbalance" or "waiting"

    def to_dict(self) -> dict:
        """Plain data for the statistics."""
        return asdict(self)


def imbalance(busy: np.ndarray) -> float:
    """The slowest worker's busy time over the median worker's (1 when balanced)."""
    median = float(np.median(busy))
    return float(busy.max()) / median if median > 0 else 1.0


def waiting_share(busy: np.ndarray, waits: np.ndarray) -> float:
    """The median worker's share of a superstep spent waiting (0 when nobody waits)."""
    total = busy + waits
    return float(np.median(np.divide(waits, total, out=np.zeros_like(total), where=total > 0)))


def rounds_left(changes: list[float], threshold: float) -> float:
    """Supersteps still needed at the measured contraction of the change (inf if unknown)."""
    if len(changes) < 2 or threshold <= 0 or changes[-1] <= threshold:
        return 0.0 if changes and changes[-1] <= threshold else math.inf
    ratio = changes[-1] / changes[-2] if changes[-2] > 0 else 1.0
    if not 0 < ratio < 1:
        return math.inf
    return math.log(threshold / changes[-1]) / math.log(ratio)


class AutoPolicy:
    """The decisions of mode ``auto`` for one worker, from the gathered tables (no timing here).

    Every worker feeds it the same tables, so every worker decides alike.
    """

    def __init__(self, synchronous_by_design: str | None) -> None:
        self.by_design = synchronous_by_design
        self.busy: list[np.ndarray] = []  # per superstep: every worker's busy time
        self.waiting: list[np.ndarray] = []  # per superstep: every worker's waiting time
        self.changes: list[float] = []
        self.phases: list[Phase] = []

    def start(self) -> Phase:
        """The first phase: BSP, for good or to measure."""
        if self.by_design:
            reason = f"the program cannot gain from asynchrony: {self.by_design}"
        else:
            reason = "measuring: every worker's busy and waiting time per superstep"
        return self._enter(Phase("bsp", 0, reason))

    def after_superstep(self, round_index: int, table: np.ndarray) -> Phase | None:
        """A superstep's table is in: the ASAP phase to switch to now, or None to stay."""
        if self.by_design or self.phases[-1].mode != "bsp":
            return None
        self.busy.append(table[:, BUSY].copy())
        self.waiting.append(table[:, WAIT].copy())
        self.changes.append(float(table[:, CHANGE].sum()))
        if len(self.busy) <= PROBE_SUPERSTEPS:  # the first superstep warms caches: left out
            return None
        # Each worker's least busy and waiting time over the window: a superstep slowed once (a
        # page fault, another process) is not a straggler.
        busy = np.min(np.array(self.busy[-PROBE_SUPERSTEPS:]), axis=0)
        waits = np.min(np.array(self.waiting[-PROBE_SUPERSTEPS:]), axis=0)
        ratio = imbalance(busy)
        waiting = waiting_share(busy, waits)
        if ratio >= SWITCH_IMBALANCE:
            trigger = "imbalance"
            why = (f"imbalance {ratio:.2f}×: the median worker waited "
                   f"{100 * (1.0 - float(np.median(busy)) / float(busy.max())):.0f}% of each "
                   "superstep")
        elif waiting >= SWITCH_WAITING:
            trigger = "waiting"
            why = (f"barrier waits: busy times even ({ratio:.2f}×) but the median worker waited "
                   f"{100 * waiting:.0f}% of each superstep (switch at "
                   f"{100 * SWITCH_WAITING:.0f}%)")
        else:
            self.phases[-1].reason = (f"balanced: slowest worker's busy time {ratio:.2f}× the "
                                      f"median's (switch at {SWITCH_IMBALANCE:g}×), median "
                                      f"waiting {100 * waiting:.0f}% of a superstep (switch at "
                                      f"{100 * SWITCH_WAITING:.0f}%)")
            return None
        left = rounds_left(self.changes, float(table[:, THRESHOLD].sum()))
        if left < MIN_ROUNDS_LEFT:
            self.phases[-1].reason = (f"{why}, but about {left:.1f} supersteps left: not worth "
                                      "a switch")
            return None
        return self._enter(Phase("asap", round_index + 1, why, trigger=trigger,
                                 waits="in-neighbours that keep up (per round, by measured lag)"))

    def after_verification(self, round_index: int, table: np.ndarray) -> Phase | None:
        """A failed verification in ASAP: the BSP phase to go back to, or None to stay."""
        ratio = imbalance(table[:, BUSY])
        if self.by_design or ratio >= RETURN_IMBALANCE or self.phases[-1].trigger == "waiting":
            return None
        self.busy.clear()
        self.waiting.clear()
        self.changes.clear()
        return self._enter(Phase("bsp", round_index + 1,
                                 f"balanced again: busy time per round {ratio:.2f}× the median's"))

    def slow_workers(self, busy: np.ndarray, own: int) -> set[int]:
        """Workers whose busy time per superstep exceeds ``own``'s by more than the lag margin."""
        return {int(w) for w in np.flatnonzero(busy > (1.0 + LAG_MARGIN) * busy[own])}

    def close(self, last_round: int) -> list[dict]:
        """The path taken, as plain data."""
        if self.phases:
            self.phases[-1].last = last_round
        return [phase.to_dict() for phase in self.phases]

    def _enter(self, phase: Phase) -> Phase:
        if self.phases:
            self.phases[-1].last = phase.first - 1
        self.phases.append(phase)
        return phase


def lags(posted: int, own_rounds: int) -> bool:
    """Whether a neighbour that posted ``posted`` messages in ``own_rounds`` rounds lags."""
    return posted * (1.0 + LAG_MARGIN) < own_rounds
