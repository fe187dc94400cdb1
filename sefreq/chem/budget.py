"""How much work one molecule may cost: a clock per molecule, read between its stages (#25).

The structural caps (:data:`~sefreq.chem.standardize.MAX_SMILES_LENGTH`,
:data:`~sefreq.chem.standardize.MAX_HEAVY_ATOMS`,
:data:`~sefreq.chem.standardize.MAX_FUSED_RINGS`, the SDF record caps of
:mod:`sefreq.chem.sdf`) bound each RDKit call; a :class:`MoleculeBudget` bounds their sum
for each molecule of a batch, whatever its ring system: the parse and standardisation
(:meth:`MoleculeBudget.parse`), then each featurisation stage (kernel fingerprints, Morgan
bits, descriptors, the InChIKey the mechanism view matches), which times each molecule's
part with ``time.perf_counter`` (0.5 µs a molecule and stage, against a millisecond
of RDKit). A molecule past :data:`MOLECULE_TIME_LIMIT_S` skips its later stages and is
refused with the reason; the other molecules of its batch go on.

The clock is cooperative, as the explanation limit (``sefreq.explain``) is: it is read
between stages, so a stage that has started finishes; the structural caps keep every
stage short. Memory: a ``MemoryError`` inside one molecule's part of a stage (RDKit's
``std::bad_alloc`` arrives as one) refuses that molecule, and the stage runs again without
it (:meth:`MoleculeBudget.attempt`); screening's workers run under a memory limit that
makes a runaway structure raise it (``sefreq.screen.lifetime``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from time import perf_counter
from typing import TypeVar

import numpy as np
from rdkit import Chem

from sefreq.chem.standardize import model_molecule

#: Seconds one molecule may take from its SMILES to its features (parse, standardisation,
#: fingerprints, descriptors, InChIKey). A drug takes about 2 ms, the slowest molecule the
#: structural caps let through (a 20-ring fused system, 500 heavy atoms) well under a
#: second (benchmarks/bad_input_speed.py); a structure that needs more is out of scope, and
#: 2 s keeps every answer within the 2 s the bad-input corpus is held to.
MOLECULE_TIME_LIMIT_S = 2.0

#: The name of the first stage in a refusal ("... after its parse and standardisation").
PARSE_STAGE = "parse and standardisation"

T = TypeVar("T")


class MoleculeBudget:
    """The time spent on each molecule of a batch, and why any was refused.

    ``MoleculeBudget(n)`` covers molecules 0..n-1; :meth:`subset` gives a view of some of
    them (rows of a sub-batch) that shares their clocks and reasons, so a caller reads
    every refusal on the budget it made. The limit is read when the budget is made.
    """

    __slots__ = ("_positions", "_reasons", "_running", "_spent", "limit_s")

    def __init__(self, n: int, limit_s: float | None = None) -> None:
        self.limit_s = MOLECULE_TIME_LIMIT_S if limit_s is None else float(limit_s)
        self._spent = [0.0] * n
        self._reasons: list[str | None] = [None] * n
        self._positions: Sequence[int] = range(n)  # this view's molecules among the batch's
        self._running: tuple[int, str] | None = None  # (position, stage) of the running part

    def __len__(self) -> int:
        return len(self._positions)

    def subset(self, rows: slice | Sequence[int]) -> MoleculeBudget:
        """A view of molecules ``rows`` of this one (in that order), sharing their clocks."""
        view = object.__new__(MoleculeBudget)
        view.limit_s, view._spent, view._reasons = self.limit_s, self._spent, self._reasons
        view._running = None
        if isinstance(rows, slice):
            view._positions = self._positions[rows]
        else:
            view._positions = [self._positions[int(r)] for r in rows]
        return view

    def reason(self, i: int) -> str | None:
        """Why molecule ``i`` of this view was refused, or None."""
        return self._reasons[self._positions[i]]

    def refused(self) -> np.ndarray:
        """(n,) bool: which molecules of this view were refused."""
        reasons = self._reasons
        return np.array([reasons[p] is not None for p in self._positions], dtype=bool)

    def parse(self, i: int, smiles: object) -> tuple[str | None, Chem.Mol | None, str | None]:
        """:func:`~sefreq.chem.standardize.model_molecule` of molecule ``i``, its first stage:
        ``(structure, mol, None)`` or ``(None, None, reason)``, a reason too when the parse
        itself ran past the limit or out of memory."""
        position = self._positions[i]
        start = perf_counter()
        try:
            structure, mol, error = model_molecule(smiles)
        except MemoryError:
            structure, mol, error = None, None, _out_of_memory(PARSE_STAGE)
        spent = self._spent[position] = self._spent[position] + perf_counter() - start
        if error is None and spent > self.limit_s:
            error = self._too_slow(PARSE_STAGE, spent)
        if error is not None:
            self._reasons[position] = error
            return None, None, error
        return structure, mol, None

    def molecules(self, mols: Sequence[Chem.Mol | None], stage: str) -> Iterator[tuple]:
        """``(i, mol)`` for each molecule of ``mols`` (this view's, in order) that is one and
        is still within its budget; each is charged the time until the next is asked for
        (the loop body: its part of ``stage``), and refused once past the limit."""
        spent, reasons, positions, limit = self._spent, self._reasons, self._positions, self.limit_s
        for i, mol in enumerate(mols):
            position = positions[i]
            if mol is None or reasons[position] is not None:
                continue
            self._running = (position, stage)
            start = perf_counter()
            yield i, mol
            spent[position] += perf_counter() - start
            self._running = None
            if spent[position] > limit:
                reasons[position] = self._too_slow(stage, spent[position])

    def attempt(self, work: Callable[[], T]) -> T:
        """``work()``, a stage over this view's molecules. A ``MemoryError`` raised inside one
        molecule's part refuses that molecule, and ``work()`` runs again without it; one
        raised anywhere else (the batch's own arrays) goes on up. The molecules are charged
        the time of the run that completes."""
        spent = self._spent
        before = [spent[p] for p in self._positions]
        while True:
            self._running = None
            try:
                return work()
            except MemoryError:
                running = self._running
                if running is None:
                    raise
            position, stage = running
            self._reasons[position] = _out_of_memory(stage)
            for p, seconds in zip(self._positions, before, strict=True):
                spent[p] = seconds

    def _too_slow(self, stage: str, spent: float) -> str:
        return (
            f"The molecule took longer than {self.limit_s:g} s to featurise ({spent:.1f} s "
            f"after its {stage}): SEFreq gives each molecule at most {self.limit_s:g} s, "
            "and structures that need more (cages, large fused ring systems, long polymers) "
            "are out of scope."
        )


def each_molecule(
    mols: Sequence[Chem.Mol | None], budget: MoleculeBudget | None, stage: str
) -> Iterator[tuple]:
    """``(i, mol)`` for each molecule of ``mols`` that is one: timed by ``budget``
    (:meth:`MoleculeBudget.molecules`) when there is one."""
    if budget is None:
        return ((i, mol) for i, mol in enumerate(mols) if mol is not None)
    return budget.molecules(mols, stage)


def attempt(budget: MoleculeBudget | None, work: Callable[[], T]) -> T:
    """``work()``, through :meth:`MoleculeBudget.attempt` when there is a budget."""
    return work() if budget is None else budget.attempt(work)


def _out_of_memory(stage: str) -> str:
    return (
        f"The molecule ran out of memory in its {stage}: SEFreq bounds the memory each "
        "molecule may take, and structures that need more (cages, large fused ring "
        "systems, long polymers) are out of scope."
    )
