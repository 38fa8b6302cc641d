"""Helpers for tests that run the hardware-in-the-loop rig and deployments against it."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hw_adapters.gap import RealityGap
from hw_adapters.pointmap import PointMap, load_point_map
from hw_adapters.rig import Rig, with_horizon
from hw_adapters.sitegen import rig_point_map
from twin.scenario import Scenario, load_scenario

if TYPE_CHECKING:
    from hw_adapters.replay import DeployRecord
    from twin.world import World

EXAMPLES = Path(__file__).resolve().parents[2] / "hw_adapters" / "examples"


def scenario(name: str, hours: float) -> Scenario:
    return with_horizon(load_scenario(name), hours)


def rig_map(name: str) -> PointMap:
    return load_point_map(EXAMPLES / f"{name}_rig.toml")


@contextmanager
def running_rig(
    name: str,
    hours: float,
    folder: Path,
    *,
    gap: RealityGap | None = None,
    speed: float = 3600.0,
    point_map: PointMap | None = None,
    linger_s: float = 30.0,
) -> Iterator[Rig]:
    """A rig serving in a background thread; stopped (endpoints and all) on exit."""
    s = scenario(name, hours)
    with Rig(s, point_map or rig_map(name), folder, gap=gap, speed=speed, fast=True) as rig:
        kwargs = {"linger_s": linger_s, "wait_s": 60.0}  # the clock starts with the controller
        thread = threading.Thread(target=rig.serve, kwargs=kwargs, daemon=True)
        thread.start()
        try:
            yield rig
        finally:
            rig.request_stop()
            thread.join(30)


def site_map(rig: Rig) -> PointMap:
    return load_point_map(rig.workdir / "site.json")


def wait(predicate: Callable[[], Any], timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return bool(predicate())


__all__ = ["EXAMPLES", "rig_map", "rig_point_map", "running_rig", "scenario", "site_map", "wait"]


def record_of_world(s: Scenario, w: World, rows: list[tuple[Any, ...]]) -> DeployRecord:
    """A :class:`DeployRecord` of a World's own run, to replay it against itself.

    ``rows``: per step (air, heating and cooling set-points, light lux and CCT, occupant
    heat, outdoor temperature, GHI, cumulative energy kWh) of copy 0.
    """
    import numpy as np

    from hw_adapters.replay import DeployRecord
    from twin.calendar import local_hours
    from twin.kpi import tariff_per_step

    cols = [np.array(c) for c in zip(*rows, strict=True)]
    n = len(rows)
    return DeployRecord(
        scenario=s, zone_names=w.building.zone_names, times=w.times[:n],
        recorded=np.ones(n, bool), t_air=cols[0], occupied=np.zeros((n, w.nz), bool),
        heat_sp=cols[1], cool_sp=cols[2], light_lux=cols[3], light_cct=cols[4],
        occupant_heat_w=cols[5], t_out=cols[6], ghi=cols[7], energy_kwh=cols[8],
        price=tariff_per_step(s.tariff, local_hours(w.times[:n])),
    )  # fmt: skip
