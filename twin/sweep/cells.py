"""The cells of a sweep, the work units that compute them, and the store of finished ones.

A *cell* is one (variation, policy, seed): one episode. Its result is stored as soon
as it is known, one small JSON file per cell under ``cells/`` of the sweep directory,
written atomically, so an interrupted sweep loses at most the cells in flight and a
rerun computes only the missing ones. A cell's file name is a hash of everything its
result depends on (the resolved scenario, the policy, the policy file's bytes, the
seed), so a cell is never reused for a different question.

A *work unit* is one variation and policy over a block of seeds: one process runs the
block as one batched vector env (:func:`policies.evaluation.rollout_seeds`; seed ``s``
is exactly the episode ``twin run --seed s`` gives), which is much faster than one
episode at a time. Units ship plain data (the scenario's JSON, the policy spec, the
seeds) and return plain dicts, so they run alike in a local process pool and on Ray.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from twin.rundir import atomic_write

__all__ = ["CellStore", "Unit", "cell_key", "plan_units", "run_unit"]


def _policy_digest(policy: str) -> str:
    """The policy spec, plus its file's bytes when it is a trained policy."""
    path = Path(policy)
    h = hashlib.sha256(policy.encode())
    if path.suffix == ".zip" and path.is_file():
        h.update(path.read_bytes())
        for extra in ("policy.json", "obs_norm.npz"):
            if (path.parent / extra).is_file():
                h.update((path.parent / extra).read_bytes())
    return h.hexdigest()[:16]


def cell_key(variation_key: str, policy_digest: str, seed: int) -> str:
    """The file stem of a cell's result."""
    return f"{variation_key}-{policy_digest}-{seed}"


@dataclass(frozen=True)
class Unit:
    """A block of seeds of one variation and policy (what one worker call computes)."""

    variation: int
    policy: str
    seeds: tuple[int, ...]
    scenario_json: str

    def payload(self) -> dict[str, Any]:
        """Plain data for a worker (a process or a Ray task)."""
        return {"variation": self.variation, "policy": self.policy, "seeds": list(self.seeds),
                "scenario_json": self.scenario_json}  # fmt: skip


def plan_units(
    todo: Sequence[tuple[int, str, int]], scenarios: Sequence[str], block: int
) -> list[Unit]:
    """Group missing cells ``(variation, policy, seed)`` into units of at most ``block`` seeds."""
    groups: dict[tuple[int, str], list[int]] = {}
    for v, p, s in todo:
        groups.setdefault((v, p), []).append(s)
    units = []
    for (v, p), seeds in groups.items():
        for i in range(0, len(seeds), block):
            units.append(Unit(v, p, tuple(seeds[i : i + block]), scenarios[v]))
    return units


def default_block(n_cells: int, n_groups: int, workers: int) -> int:
    """Seeds per unit: about four units per worker, at most 16 seeds (a fair share each)."""
    per_group = max(1, math.ceil(n_cells / max(1, n_groups)))
    wanted_units = max(1, 4 * workers)
    return max(1, min(16, per_group, math.ceil(n_cells / wanted_units)))


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def run_unit(payload: dict[str, Any]) -> list[dict[str, Any]]:
    """Run one unit; one result per seed: ``{seed, reward, kpis, error, wall_s}``.

    If the batch fails, each seed is run alone, so only the cells that really fail carry
    an error (as one line) and the others their results.
    """
    from policies import make_policy
    from policies.evaluation import rollout_seeds
    from twin.scenario import Scenario

    seeds = [int(s) for s in payload["seeds"]]
    policy = payload["policy"]

    def attempt(batch: list[int]) -> list[dict[str, Any]]:
        t0 = time.perf_counter()
        scenario = Scenario.from_json(payload["scenario_json"])
        episodes = rollout_seeds(scenario, lambda task: make_policy(policy, task), batch)
        wall = (time.perf_counter() - t0) / len(batch)
        return [
            {"seed": s, "reward": float(e.pop("reward")), "kpis": e, "error": "", "wall_s": wall}
            for s, e in zip(batch, episodes, strict=True)
        ]

    try:
        return attempt(seeds)
    except Exception as exc:  # noqa: BLE001 - recorded per cell, never swallowed silently
        if len(seeds) == 1:
            return [{"seed": seeds[0], "reward": math.nan, "kpis": {}, "error": _one_line(exc),
                     "wall_s": 0.0}]  # fmt: skip
    out = []
    for s in seeds:
        out += run_unit({**payload, "seeds": [s]})
    return out


class CellStore:
    """Finished cells of a sweep: one JSON file each under ``folder`` (written atomically).

    A cell that failed is stored as ``<key>.failed.json`` with its error: it appears in
    the results table, and a rerun of the sweep tries it again (a failure may be
    transient; a fixed policy file changes the key anyway).
    """

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)

    def _path(self, key: str, failed: bool) -> Path:
        return self.folder / (f"{key}.failed.json" if failed else f"{key}.json")

    def done(self) -> set[str]:
        """Keys of every cell that finished without error."""
        return {p.stem for p in self.folder.glob("*.json") if not p.stem.endswith(".failed")}

    def failed(self) -> set[str]:
        """Keys of cells whose last attempt failed."""
        return {p.name.removesuffix(".failed.json") for p in self.folder.glob("*.failed.json")}

    def put(self, key: str, result: dict[str, Any]) -> None:
        """Store a cell's result (atomically: a reader sees all of it or nothing)."""
        failed = bool(result.get("error"))
        atomic_write(self._path(key, failed), json.dumps(result, sort_keys=True) + "\n")
        if not failed:
            self._path(key, True).unlink(missing_ok=True)

    def get(self, key: str) -> dict[str, Any] | None:
        """A cell's stored result (a success before a failure), or ``None``."""
        for failed in (False, True):
            path = self._path(key, failed)
            if path.is_file():
                return json.loads(path.read_text())  # type: ignore[no-any-return]
        return None
