"""The controller: policy commands -> safety envelope -> protocol adapters, all audited.

One :class:`Controller` per site. Each control step it reads the sensors
(:meth:`Controller.refresh`), has the envelope judge every command and, by mode, writes
(``act``), only logs (``dry-run``) or logs next to what the site's own control does
(``shadow``). Every command leaves one audit record, including writes the device did
not confirm (``failed``): nothing is lost silently.

Falling back to the building's own control:

- on :meth:`Controller.close` (act mode): BACnet points are relinquished at their
  priority; Modbus and MQTT points get their ``fail_safe`` value; then MQTT publishes
  ``offline``;
- if the controller dies: MQTT devices see the Last Will ``offline``; the Modbus device
  sees its heartbeat register stop; the BACnet device sees its heartbeat analog-value
  stop and clears our priority slots (the heartbeats come from a :class:`Heartbeat`
  thread, in act mode only);
- after the MQTT broker comes back: the fail-safe values are republished before any
  new policy command (devices may have acted on the Will meanwhile).

Overrides: :meth:`Controller.override` holds a point for an operator (BACnet writes at
``override_priority``, 8 by default); :meth:`Controller.sync_overrides` picks up values
the site itself holds above the policy's BACnet priority. Either way the envelope locks
the point out of policy control until released.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from hw_adapters.audit import AuditLog, AuditRecord, Decision, Mode
from hw_adapters.base import Adapter, Reading
from hw_adapters.envelope import Envelope, Verdict
from hw_adapters.pointmap import Point, PointMap
from hw_adapters.watchdog import Heartbeat
from twin.errors import HardwareError

__all__ = ["Controller", "open_adapters", "point_commands"]


def open_adapters(
    point_map: PointMap, protocols: Sequence[str] | None = None, **mqtt_options: Any
) -> dict[str, Adapter]:
    """Connect an adapter for each protocol the map uses (or those in ``protocols``).

    Raises:
        HardwareError: an endpoint is unreachable; adapters opened so far are closed.
        DependencyNotInstalled: a protocol client is missing.
    """
    wanted = protocols or sorted({p.protocol for p in point_map.points})
    adapters: dict[str, Adapter] = {}
    try:
        for proto in wanted:
            points = point_map.of_protocol(proto)
            if proto == "mqtt" and point_map.mqtt is not None:
                from hw_adapters.discovery import discovery_configs
                from hw_adapters.mqtt import MqttAdapter

                mqtt_options.setdefault("discovery", discovery_configs(point_map))
                adapters[proto] = MqttAdapter(point_map.mqtt, points, **mqtt_options)
            elif proto == "modbus" and point_map.modbus is not None:
                from hw_adapters.modbus import ModbusAdapter

                adapters[proto] = ModbusAdapter(point_map.modbus, points)
            elif proto == "bacnet" and point_map.bacnet is not None:
                from hw_adapters.bacnet import BacnetAdapter

                adapters[proto] = BacnetAdapter(point_map.bacnet, points)
            else:
                raise HardwareError(f"point map {point_map.name!r} has no [{proto}] section")
    except BaseException:
        for adapter in adapters.values():
            adapter.close()
        raise
    return adapters


def point_commands(
    point_map: PointMap,
    commands: Any,
    zone_names: Sequence[str],
    display_names: Sequence[str] = (),
    env: int = 0,
) -> dict[str, float]:
    """Map a twin :class:`~twin.interface.Commands` (one env) onto the site's writable points.

    ``zone_names``/``display_names`` give the column of each zone/display in the arrays.
    Points whose zone or quantity the commands do not carry are left out.
    """
    out: dict[str, float] = {}
    for p in point_map.points:
        if not p.writable:
            continue
        names = zone_names if p.zone is not None else display_names
        if p.owner not in names:
            continue
        array = getattr(commands, p.quantity, None)
        if array is None:
            array = commands.venue.get(p.quantity)
        if array is not None:
            out[p.name] = float(array[env, list(names).index(p.owner)])
    return out


class Controller:
    """Runs one site: envelope, adapters, audit log, heartbeat and fall-back.

    Args:
        point_map: the site; points of protocols without an adapter are left alone.
        adapters: protocol -> connected adapter (see :func:`open_adapters`).
        audit: the audit log (or its path).
        mode: ``dry-run`` (default: safe), ``shadow`` or ``act``.
        clock: wall-clock seconds; readings and the envelope use it.
        heartbeat: run the heartbeat thread in act mode (tests of the watchdog turn the
            controller off by killing its process instead).
        timebase: maps the adapters' wall-clock timestamps onto ``clock``'s time line
            (a deployment accelerated against the rig judges staleness and rate limits
            in site seconds); identity by default.
    """

    def __init__(
        self,
        point_map: PointMap,
        adapters: Mapping[str, Adapter],
        audit: AuditLog | str | Path,
        *,
        mode: Mode | str = Mode.DRY_RUN,
        clock: Callable[[], float] = time.time,
        heartbeat: bool = True,
        timebase: Callable[[float], float] | None = None,
    ) -> None:
        self.adapters = dict(adapters)
        self.timebase = timebase
        # A controller commands only the points it has an adapter for.
        served = tuple(p for p in point_map.points if p.protocol in self.adapters)
        self.point_map = point_map.model_copy(update={"points": served})
        self.audit = audit if isinstance(audit, AuditLog) else AuditLog(audit)
        self.mode = Mode(mode)
        self.clock = clock
        self.envelope = Envelope(self.point_map, clock)
        self.readings: dict[str, Reading] = {}
        self.health: dict[str, str | None] = dict.fromkeys(self.adapters)
        self._lock = threading.RLock()
        self._mqtt_reconnected = threading.Event()
        self._closed = False
        mqtt = self.adapters.get("mqtt")
        if mqtt is not None and hasattr(mqtt, "on_reconnect"):
            mqtt.on_reconnect.append(self._mqtt_reconnected.set)
        self._seed()
        self._heartbeat: Heartbeat | None = None
        if heartbeat and self.mode is Mode.ACT:
            intervals = [c.heartbeat_interval_s for c in (point_map.modbus, point_map.bacnet) if c]
            self._heartbeat = Heartbeat(min(intervals, default=1.0), self._tick, self._beat_failed)

    @classmethod
    def connect(
        cls,
        point_map: PointMap,
        audit: AuditLog | str | Path,
        *,
        mode: Mode | str = Mode.DRY_RUN,
        protocols: Sequence[str] | None = None,
        **options: Any,
    ) -> Controller:
        """Open the adapters the map needs and start a controller on them."""
        return cls(point_map, open_adapters(point_map, protocols), audit, mode=mode, **options)

    # -- reading -------------------------------------------------------------------------

    def _points(self, proto: str) -> tuple[Point, ...]:
        return self.point_map.of_protocol(proto)

    def refresh(self) -> dict[str, Reading]:
        """Read every point of every adapter; a failing adapter keeps its old readings.

        The failure is kept in :attr:`health` (old readings age, so their zones go stale
        and fall back). Use :meth:`read` to get the error raised instead.
        """
        with self._lock:
            for proto, adapter in self.adapters.items():
                try:
                    self.readings.update(self._stamped(adapter.read(self._points(proto))))
                    self.health[proto] = None
                except HardwareError as exc:
                    self.health[proto] = str(exc)
            return dict(self.readings)

    def _stamped(self, readings: dict[str, Reading]) -> dict[str, Reading]:
        """Readings with their timestamps on the controller's time line."""
        if self.timebase is None:
            return readings
        tb = self.timebase
        return {k: Reading(r.value, tb(r.timestamp)) for k, r in readings.items()}

    def read(self) -> dict[str, Reading]:
        """Read every point; raises :class:`HardwareError` naming the failing endpoint."""
        with self._lock:
            for proto, adapter in self.adapters.items():
                self.readings.update(self._stamped(adapter.read(self._points(proto))))
            return dict(self.readings)

    def _seed(self) -> None:
        """Start rate limits from what the devices hold now (unknown points start free)."""
        readings = self.refresh()
        now = self.clock()
        for name in self.envelope.writable:
            if name in readings:
                self.envelope.sent(name, readings[name].value, now)

    # -- commanding ----------------------------------------------------------------------

    def step(self, commands: Mapping[str, float]) -> list[AuditRecord]:
        """One control step: refresh the readings, then :meth:`apply` ``commands``."""
        with self._lock:
            self.refresh()
            return self.apply(commands)

    def apply(self, commands: Mapping[str, float]) -> list[AuditRecord]:
        """Judge and execute ``commands`` (point name -> value) against the last readings."""
        with self._lock, self.audit.batch():
            self._check_open()
            if self._mqtt_reconnected.is_set():
                self._after_mqtt_reconnect()
            now = self.clock()
            verdicts = self.envelope.check(commands, self.readings, now)
            done = self._write_mqtt_batch(verdicts)
            return [self._execute(v, now, done.get(v.point)) for v in verdicts]

    def _write_mqtt_batch(self, verdicts: Sequence[Verdict]) -> dict[str, tuple[str | None, float]]:
        """Act mode: the step's MQTT writes pipelined (point -> (error, latency ms))."""
        mqtt: Any = self.adapters.get("mqtt")
        if self.mode is not Mode.ACT or mqtt is None or not hasattr(mqtt, "write_many"):
            return {}
        writable = self.envelope.writable
        items = [(writable[v.point], v.send) for v in verdicts
                 if v.send is not None and writable[v.point].protocol == "mqtt"]  # fmt: skip
        if not items:
            return {}
        t0 = time.perf_counter()
        errors = mqtt.write_many(items)
        latency_ms = (time.perf_counter() - t0) * 1e3
        return {name: (error, latency_ms) for name, error in errors.items()}

    def _execute(
        self, v: Verdict, now: float, written: tuple[str | None, float] | None = None
    ) -> AuditRecord:
        if v.send is None:
            return self.audit.record(v.point, v.requested, None, self.mode, v.decision, v.reason)
        p = self.envelope.writable[v.point]
        if self.mode is Mode.ACT:
            t0 = time.perf_counter()
            try:
                if written is None:
                    self.adapters[p.protocol].write(p, v.send)
                elif written[0] is not None:
                    raise HardwareError(written[0])
            except HardwareError as exc:
                reason = f"{v.reason}; write failed: {exc}"
                return self.audit.record(
                    v.point, v.requested, None, self.mode, Decision.FAILED, reason
                )
            latency_ms = (time.perf_counter() - t0) * 1e3 if written is None else written[1]
            self.envelope.sent(v.point, v.send, now)
            return self.audit.record(
                v.point, v.requested, v.send, self.mode, v.decision, v.reason,
                latency_ms=latency_ms,
            )  # fmt: skip
        # dry-run and shadow: nothing is written; the envelope remembers the value as if
        # it had been, so the log shows exactly what act mode would have done.
        self.envelope.sent(v.point, v.send, now)
        site = self.readings.get(v.point)
        if self.mode is Mode.SHADOW:
            held = "unknown" if site is None else f"{site.value:g}"
            diff = "" if site is None else f", difference {v.send - site.value:+.3g}"
            reason = f"{v.reason}; shadow: policy wants {v.send:g}, site holds {held}{diff}"
        else:
            reason = f"{v.reason}; dry-run: would send {v.send:g}"
        return self.audit.record(
            v.point, v.requested, None, self.mode, v.decision, reason,
            site=None if site is None else site.value,
        )  # fmt: skip

    # -- overrides and hand-back -----------------------------------------------------------

    def override(self, name: str, value: float, source: str = "operator") -> AuditRecord:
        """An operator or occupant holds ``name`` at ``value``; the policy is locked out.

        The value must still be finite and within the point's bounds. BACnet writes it
        at ``override_priority``; other protocols write it as a normal command.
        """
        with self._lock:
            self._check_open()
            p = self.envelope.writable[name]
            assert p.min is not None and p.max is not None
            if not (p.min <= value <= p.max):  # NaN fails this too
                reason = f"override out of bounds: {value} not in [{p.min:g}, {p.max:g}]"
                return self.audit.record(
                    name, value, None, self.mode, Decision.REJECTED, reason, source="override"
                )
            sent: float | None = None
            if self.mode is Mode.ACT:
                try:
                    self._write_override(p, value)
                except HardwareError as exc:
                    return self.audit.record(
                        name, value, None, self.mode, Decision.FAILED,
                        f"override by {source}: {exc}", source="override",
                    )  # fmt: skip
                sent = value
            self.envelope.set_override(name, value)
            self.envelope.sent(name, value)
            return self.audit.record(
                name, value, sent, self.mode, Decision.ACCEPTED, f"override by {source}",
                source="override",
            )  # fmt: skip

    def _write_override(self, p: Point, value: float) -> None:
        adapter: Any = self.adapters[p.protocol]
        if p.protocol == "bacnet" and self.point_map.bacnet is not None:
            adapter.write(p, value, priority=self.point_map.bacnet.override_priority)
        else:
            adapter.write(p, value)

    def release_override(self, name: str, source: str = "operator") -> AuditRecord:
        """End the override of ``name``; the policy may command it again."""
        with self._lock:
            p = self.envelope.writable[name]
            self.envelope.release_override(name)
            if self.mode is Mode.ACT and p.protocol == "bacnet" and self.point_map.bacnet:
                adapter: Any = self.adapters["bacnet"]
                try:
                    adapter.relinquish(p, priority=self.point_map.bacnet.override_priority)
                except HardwareError as exc:
                    return self.audit.record(
                        name, None, None, self.mode, Decision.FAILED,
                        f"override release by {source}: {exc}", source="override",
                    )  # fmt: skip
                self.envelope.forget(name)
            return self.audit.record(
                name, None, None, self.mode, Decision.RELINQUISH,
                f"override released by {source}", source="override",
            )  # fmt: skip

    def sync_overrides(self) -> list[str]:
        """Lock out BACnet points the site holds above the policy's priority; release the rest.

        Returns the points under a site override.
        """
        with self._lock:
            adapter: Any = self.adapters.get("bacnet")
            if adapter is None:
                return []
            held = []
            for p in self._points("bacnet"):
                if not p.writable:
                    continue
                level = adapter.held_above(p)
                if level is not None:
                    held.append(p.name)
                    if not self.envelope.overridden(p.name):
                        value = adapter.read([p])[p.name].value
                        self.envelope.set_override(p.name, value)
                        self.audit.record(
                            p.name, value, None, self.mode, Decision.REJECTED,
                            f"override: the site holds priority {level}; policy locked out",
                            source="site",
                        )  # fmt: skip
                elif self.envelope.overridden(p.name):
                    self.release_override(p.name, source="site")
            return held

    def relinquish(self, name: str, reason: str = "relinquished by the controller") -> AuditRecord:
        """Hand ``name`` back to the building (BACnet NULL; others: write ``fail_safe``)."""
        with self._lock:
            p = self.envelope.writable[name]
            bacnet = p.protocol == "bacnet"
            decision = Decision.RELINQUISH if bacnet else Decision.FALLBACK
            sent = None if bacnet else p.fail_safe
            if self.mode is not Mode.ACT:
                why = f"{reason}; {self.mode}: nothing written"
                return self.audit.record(
                    name, None, None, self.mode, decision, why, source="controller"
                )
            try:
                self.adapters[p.protocol].relinquish(p)
            except HardwareError as exc:
                return self.audit.record(
                    name, None, None, self.mode, Decision.FAILED, f"{reason}: {exc}",
                    source="controller",
                )  # fmt: skip
            if bacnet:
                self.envelope.forget(name)
            else:
                assert p.fail_safe is not None
                self.envelope.sent(name, p.fail_safe)
            return self.audit.record(
                name, None, sent, self.mode, decision, reason, source="controller"
            )

    def fall_back(self, reason: str, protocol: str | None = None) -> list[AuditRecord]:
        """Hand every writable point (of ``protocol``) back to the building's control."""
        with self._lock, self.audit.batch():
            return [
                self.relinquish(name, reason)
                for name, p in self.envelope.writable.items()
                if protocol is None or p.protocol == protocol
            ]

    # -- heartbeat and reconnection ---------------------------------------------------------

    def _after_mqtt_reconnect(self) -> None:
        self._mqtt_reconnected.clear()
        if self.mode is Mode.ACT:
            self.fall_back("mqtt broker reconnected: fail-safe values republished", "mqtt")

    def _tick(self) -> None:
        """One heartbeat: prove liveness to each device; republish fail-safes after a reconnect."""
        with self._lock:
            if self._closed:
                return
            if self._mqtt_reconnected.is_set():
                self._after_mqtt_reconnect()
            for proto, adapter in self.adapters.items():
                try:
                    adapter.heartbeat()
                    self.health[proto] = None
                except HardwareError as exc:
                    self.health[proto] = str(exc)

    def _beat_failed(self, exc: BaseException) -> None:
        self.health["heartbeat"] = f"{type(exc).__name__}: {exc}"

    # -- lifecycle ------------------------------------------------------------------------

    def _check_open(self) -> None:
        if self._closed:
            raise HardwareError(f"controller of {self.point_map.name!r} is closed")

    def close(self) -> None:
        """Stop the heartbeat, hand every point back (act mode), close adapters and log.

        Idempotent. Hand-back failures are audited as ``failed``, never raised, so every
        adapter still gets closed.
        """
        if self._heartbeat is not None:
            self._heartbeat.stop()  # outside the lock: a beat in progress may need it
        with self._lock:
            if self._closed:
                return
            try:
                if self.mode is Mode.ACT:
                    self.fall_back("controller stopping: control handed back to the building")
            finally:
                self._closed = True
                for adapter in self.adapters.values():
                    adapter.close()
                self.audit.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
