"""The safety envelope: every command is checked here, just before it could be written.

Whatever a policy outputs, a command reaches a device only if it passes, in this order:

1. **known, writable point** of the site's point map;
2. **finite** (NaN and inf are rejected; relinquishing is an explicit call, not a NaN);
3. **no override**: a point an occupant or operator has overridden is locked out of
   policy control until the override is released (reason ``override``);
4. **fresh temperature** (set-points only): if the zone's temperature reading is
   missing or older than the sensor's ``stale_after_s``, the set-point goes to its
   ``fail_safe`` instead (decision ``fallback``);
5. **bounds**: ``min <= value <= max`` of the point;
6. **index** quantities (music genre, display content, thermostat mode) are whole;
7. **rate**: ``|value - last value sent| <= max_rate_per_min * minutes since then``;
8. **deadband** per zone: ``cool - heat >= min_deadband_k`` for the pair that would be
   in force (this batch's accepted values, else the last sent ones).

A command that fails a check is **rejected with its reason and never clipped**: the
device keeps its previous value. The envelope holds no connection and writes nothing;
the controller (:mod:`hw_adapters.controller`) executes its verdicts and logs each one.
Overrides use the twin's own arbitration (:class:`twin.arbitration.PriorityArray`,
``override > policy > schedule``), one array per site with one slot per point.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from hw_adapters.audit import Decision
from hw_adapters.base import Reading
from hw_adapters.pointmap import SETPOINT_QUANTITIES, Point, PointMap, is_whole
from twin.arbitration import PriorityArray

__all__ = ["Envelope", "Verdict"]


@dataclass(frozen=True, slots=True)
class Verdict:
    """The envelope's answer for one command.

    ``send`` is the value to write (``None``: write nothing). ``decision`` is
    ``accepted`` (send the request), ``fallback`` (send the fail-safe instead) or
    ``rejected`` (send nothing).
    """

    point: str
    requested: float
    decision: Decision
    send: float | None
    reason: str


class Envelope:
    """Checks commands for one site and remembers what was last sent to each point.

    Args:
        point_map: the site; bounds, rates, fail-safes and deadbands come from it.
        clock: wall-clock seconds (``time.time``); readings' timestamps use the same.
    """

    def __init__(self, point_map: PointMap, clock: Callable[[], float] = time.time) -> None:
        self.point_map = point_map
        self.clock = clock
        self.writable: dict[str, Point] = {p.name: p for p in point_map.points if p.writable}
        self._index = {name: i for i, name in enumerate(self.writable)}
        self._last: dict[str, tuple[float, float]] = {}  # point -> (value, time sent)
        self.arbitration = PriorityArray((len(self.writable),), default=np.nan)

    # -- memory of what the devices hold ---------------------------------------------------

    def sent(self, name: str, value: float, at: float | None = None) -> None:
        """Remember that ``value`` went to ``name`` (rate limits and deadbands use it)."""
        self._last[name] = (value, self.clock() if at is None else at)

    def last(self, name: str) -> float | None:
        """The last value sent to ``name`` (or seeded from the device), if known."""
        got = self._last.get(name)
        return None if got is None else got[0]

    def forget(self, name: str) -> None:
        """Drop the memory of ``name`` (after a relinquish the device's value is unknown)."""
        self._last.pop(name, None)

    # -- overrides -------------------------------------------------------------------------

    def _where(self, name: str) -> np.ndarray:
        where = np.zeros(len(self.writable), dtype=bool)
        where[self._index[name]] = True
        return where

    def set_override(self, name: str, value: float) -> None:
        """An occupant or operator holds ``name`` at ``value``: policy writes are refused."""
        self.arbitration.write("override", np.array(value, dtype=np.float64), self._where(name))

    def release_override(self, name: str) -> None:
        """The override of ``name`` ends; the policy may command it again."""
        self.arbitration.relinquish("override", self._where(name))

    def overridden(self, name: str) -> bool:
        """True while ``name`` is under an override."""
        return bool(self.arbitration.holds("override")[self._index[name]])

    # -- the checks ------------------------------------------------------------------------

    def check(
        self,
        commands: Mapping[str, float],
        readings: Mapping[str, Reading],
        now: float | None = None,
    ) -> list[Verdict]:
        """A verdict per command, in the order given. Changes no state.

        Args:
            commands: point name -> requested value (twin units).
            readings: the latest sensor readings (for staleness).
            now: the time of the decision (default: ``clock()``).
        """
        now = self.clock() if now is None else now
        verdicts = {
            name: self._check_one(name, value, readings, now) for name, value in commands.items()
        }
        self._check_deadbands(verdicts)
        return list(verdicts.values())

    def _check_one(
        self, name: str, value: float, readings: Mapping[str, Reading], now: float
    ) -> Verdict:
        def reject(reason: str) -> Verdict:
            return Verdict(name, value, Decision.REJECTED, None, reason)

        p = self.writable.get(name)
        if p is None:
            known = "read-only" if any(q.name == name for q in self.point_map.points) else "unknown"
            return reject(f"{known} point: nothing to command")
        assert p.min is not None and p.max is not None and p.fail_safe is not None
        if not math.isfinite(value):
            return reject(f"not finite: {value}")
        if self.overridden(name):
            held = self.arbitration.slots[0][self._index[name]]
            return reject(f"override: held at {held:g} by an occupant or operator")
        if p.quantity in SETPOINT_QUANTITIES:
            stale = self._stale(p, readings, now)
            if stale:
                return Verdict(name, value, Decision.FALLBACK, p.fail_safe, stale)
        if not p.min <= value <= p.max:
            return reject(f"out of bounds: {value:g} not in [{p.min:g}, {p.max:g}]")
        if p.is_enum and not is_whole(value):
            return reject(f"not an index: {value:g} is not a whole number")
        last = self._last.get(name)
        if p.max_rate_per_min is not None and last is not None:
            minutes = max(now - last[1], 0.0) / 60.0
            allowed = p.max_rate_per_min * minutes
            change = abs(value - last[0])
            if change > allowed + 1e-9:
                return reject(
                    f"rate: change {change:g} from {last[0]:g} in {minutes * 60:.1f} s exceeds "
                    f"{p.max_rate_per_min:g}/min (at most {allowed:.3g})"
                )
        return Verdict(name, value, Decision.ACCEPTED, value, "within envelope")

    def _stale(self, p: Point, readings: Mapping[str, Reading], now: float) -> str:
        """Why the zone of set-point ``p`` has no trustworthy temperature ('' if it has)."""
        assert p.zone is not None
        sensor = self.point_map.temperature_sensor(p.zone)
        if sensor is None:
            return f"stale sensor: zone {p.zone!r} has no temperature sensor in the point map"
        reading = readings.get(sensor.name)
        if reading is None:
            return f"stale sensor: no reading from {sensor.name!r}"
        age = now - reading.timestamp
        if sensor.stale_after_s is not None and age > sensor.stale_after_s:
            return (
                f"stale sensor: {sensor.name!r} is {age:.1f} s old (> {sensor.stale_after_s:g} s)"
            )
        return ""

    def _check_deadbands(self, verdicts: dict[str, Verdict]) -> None:
        """Reject accepted set-points that would leave cool - heat below the zone's deadband."""
        for zone in {self.writable[n].zone for n in verdicts if n in self.writable}:
            if zone is None:
                continue
            heat = self.point_map.find(zone, "heat_setpoint_c", writable=True)
            cool = self.point_map.find(zone, "cool_setpoint_c", writable=True)
            if heat is None or cool is None:
                continue
            h, c = self._in_force(heat.name, verdicts), self._in_force(cool.name, verdicts)
            need = self.point_map.envelope.deadband(zone)
            if h is None or c is None or c - h >= need - 1e-9:
                continue
            for name in (heat.name, cool.name):
                v = verdicts.get(name)
                if v is not None and v.decision is Decision.ACCEPTED:
                    reason = f"deadband: cool {c:g} - heat {h:g} = {c - h:.3g} K < {need:g} K"
                    verdicts[name] = Verdict(
                        name, v.requested, Decision.REJECTED, None, f"{reason} in {zone!r}"
                    )

    def _in_force(self, name: str, verdicts: Mapping[str, Verdict]) -> float | None:
        v = verdicts.get(name)
        if v is not None and v.send is not None:
            return v.send
        return self.last(name)
