"""The hardware-in-the-loop rig: a virtual site that speaks MQTT, Modbus TCP and BACnet/IP.

``twin rig serve SCENARIO --points MAP`` starts, on 127.0.0.1:

- a Mosquitto broker with the shipped configuration (TLS, passwords, ACL;
  :mod:`hw_adapters.broker`), the MQTT devices of the map and the site feed on it;
- a pymodbus TCP server holding the map's Modbus points, watching its heartbeat register;
- a bacpypes3 device with the map's BACnet objects (commandable set-points with their
  priority arrays), watching its heartbeat object;

and plays the building behind them with the twin's own World (physics and people), but
with a reality gap (:class:`~hw_adapters.gap.RealityGap`): another envelope, actuator
lag, sensor delay, noise and quantisation, lost messages. It writes ``site.json`` (the
map rewired to its endpoints, with the controller's credentials) and ``scenario.json``
into its folder for ``twin deploy``. A site is one building: of a neighbourhood of homes,
one home (:func:`hw_adapters.venues.site_scenario`, ``home``).

One site step (``dt`` of the scenario, ``dt / speed`` of wall time):

1. *sample the actuators*: each writable point's value as its device holds it, if the
   device is under remote control (BACnet: the priority array resolves it, the
   building's schedule writing at priority 16; Modbus: while the heartbeat register
   keeps changing; MQTT: while the controller is online and has commanded the point
   since), else the building's own control (the scenario's thermostat schedule and the
   venue's house settings), which the rig also writes into the device; a new value is in
   force ``actuator_lag_steps`` later;
2. *step the World* one control step under those commands; occupants' overrides the
   venue's people made (a resident at the home's thermostat) are written into the
   BACnet device at the operator priority, or released, as a real thermostat does;
3. *publish the sensors* (noise, quantisation, drops) and then the feed (the site clock,
   forecast, tariff and venue context with the consent rule applied at source).

Commands the controller writes during a step are thus in force for the next one, as in
the twin, where the action chosen on an observation acts in the step that follows it.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import numpy as np

from hw_adapters.broker import SiteBroker
from hw_adapters.feed import feed_message
from hw_adapters.gap import RealityGap
from hw_adapters.pointmap import Point, PointMap
from hw_adapters.rig_devices import RigMqttDevices
from hw_adapters.testing.bacnet_device import BacnetDevice
from hw_adapters.testing.modbus_device import ModbusDevice
from hw_adapters.testing.ports import free_tcp_port, free_udp_port
from hw_adapters.testing.site import with_sections
from hw_adapters.venues import site_binding, site_scenario
from twin.errors import PointMapError
from twin.physics.passes import ACC_ENERGY_LIGHT_J
from twin.scenario import Scenario
from twin.world import World

__all__ = ["Rig", "with_horizon"]

#: Heartbeat settings of a rig started with ``fast=True`` (tests): a fallback in ~1.5 s.
FAST = {"heartbeat_interval_s": 0.1, "heartbeat_timeout_s": 1.5}


def with_horizon(scenario: Scenario, hours: float | None) -> Scenario:
    """``scenario`` cut to its first ``hours`` (unchanged when None)."""
    if hours is None:
        return scenario
    sim = scenario.simulation.model_copy(update={"horizon_days": hours / 24.0})
    return scenario.model_copy(update={"simulation": sim})


class Rig:
    """A virtual site on loopback endpoints (see the module docstring).

    Args:
        scenario: the twin's scenario (the rig's building is it plus the gap).
        point_map: the site's points; its connection sections are rewritten to the
            endpoints the rig starts.
        workdir: folder for the broker, credentials, ``site.json`` and ``scenario.json``.
        gap: the reality gap (default: :class:`RealityGap`'s small one).
        seed: root seed of the World and of the gap's noise (default: the scenario's).
        speed: site seconds per wall-clock second.
        ports: ``"free"`` (ports chosen now) or ``"map"`` (the map's own).
        fast: short heartbeats for tests (:data:`FAST`).
        home: which home of a neighbourhood the site is (default: the first; only for
            home scenarios).

    Raises:
        PointMapError: the map's venue is not the scenario's, or it lacks what the
            venue's policy needs.
    """

    def __init__(
        self,
        scenario: Scenario,
        point_map: PointMap,
        workdir: str | Path,
        *,
        gap: RealityGap | None = None,
        seed: int | None = None,
        speed: float = 1.0,
        ports: str = "free",
        fast: bool = False,
        home: int | None = None,
    ) -> None:
        scenario = site_scenario(scenario, home)
        if point_map.venue != scenario.venue:
            raise PointMapError(
                f"point map {point_map.name!r} is for a {point_map.venue} site; scenario "
                f"{scenario.name!r} is a {scenario.venue}"
            )
        if point_map.mqtt is None:
            raise PointMapError(
                f"point map {point_map.name!r}: the rig publishes the site feed over MQTT; "
                "add an [mqtt] section"
            )
        self.scenario = scenario
        self.gap = gap or RealityGap()
        self.seed = scenario.simulation.seed if seed is None else seed
        self.speed = float(speed)
        self.dt = scenario.simulation.dt_s
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.world = World(self.gap.apply(scenario), 1)
        self.world.reset([self.seed])
        self.binding = site_binding(self.world.venue.task(personal_data=True))
        self.warm_up()
        missing = self.binding.coverage(point_map)
        if missing:
            lines = [f"point map {point_map.name!r}: {m}" for m in missing]
            raise PointMapError("\n".join(lines))
        self.rng = np.random.default_rng([self.seed, 0x51])
        self._drop_rng = np.random.default_rng([self.seed, 0xD7])  # paho's thread only
        self.step_index = 0
        self.dropped = {"sensor": 0, "command": 0}
        self.late_steps = 0
        #: Protocols whose device is stopped (:meth:`stop_device`) and frozen sensors.
        self.down: set[str] = set()
        self.frozen: set[str] = set()
        self._stop = threading.Event()
        self._history: dict[str, deque[tuple[int, float]]] = {}
        self._written: dict[str, float] = {}
        self._held: dict[str, float] = {}  # occupants' overrides written into the device
        self._in_force: dict[str, np.ndarray] = {}
        self._started: list[Any] = []
        try:
            self._start(point_map, ports, fast)
        except BaseException:
            self.stop()
            raise

    def warm_up(self) -> None:
        """Start the building's thermal mass in operation, as EnergyPlus's warm-up days do.

        The scenario's first day runs under the building's own control, each pass from
        the mass temperatures the previous one ended with, until they repeat
        (:data:`~hw_adapters.replay.WARMUP_TOLERANCE_K`); the rig's World then starts
        from them (its people and clock start afresh). ``twin validate`` warms the twin
        up the same way from the deployment's first day.
        """
        from hw_adapters.replay import WARMUP_PASSES, WARMUP_TOLERANCE_K

        s = self.gap.apply(self.scenario)
        day = int(round(86400 / self.dt))
        if s.simulation.n_steps < day:
            s = with_horizon(s, 24.0)
        w = World(s, 1)
        theta = None
        for _ in range(WARMUP_PASSES):
            w.reset([self.seed])
            if theta is not None:
                w.theta_m[...] = theta
            before = w.theta_m.copy()
            for _ in range(day):
                w.step(self.binding.commands(self.binding.own_control(w)))
            theta = w.theta_m.copy()
            if np.abs(theta - before).max() < WARMUP_TOLERANCE_K:
                break
        assert theta is not None
        self.world.theta_m[...] = theta

    # -- endpoints --------------------------------------------------------------------------

    def _start(self, pm: PointMap, ports: str, fast: bool) -> None:
        assert pm.mqtt is not None
        use_map = ports == "map"
        self.broker = SiteBroker(
            self.workdir / "broker", pm.mqtt.topic_prefix, pm.mqtt.port if use_map else None
        )
        self._started.append(self.broker)
        assert self.broker.tls is not None
        users = self.broker.names
        timing = dict(FAST) if fast else {}
        sections: dict[str, dict[str, Any] | None] = {
            "mqtt": {"host": "127.0.0.1", "port": self.broker.port, "username": users.controller,
                     "password_file": str(self.broker.password_file(users.controller)),
                     "password_env": None, "ca_file": str(self.broker.tls.ca),
                     "client_cert": None, "client_key": None},
        }  # fmt: skip
        if pm.modbus is not None:
            port = pm.modbus.port if use_map else free_tcp_port()
            sections["modbus"] = {"host": "127.0.0.1", "port": port, **timing}
        if pm.bacnet is not None:
            dev = pm.bacnet.device_address if use_map else f"127.0.0.1:{free_udp_port()}"
            local = pm.bacnet.local_address if use_map else f"127.0.0.1/8:{free_udp_port()}"
            sections["bacnet"] = {"device_address": dev, "local_address": local, **timing}
        self.point_map = with_sections(pm, **sections)
        (self.workdir / "site.json").write_text(self.point_map.to_json() + "\n")
        (self.workdir / "scenario.json").write_text(self.scenario.to_json() + "\n")
        site_pw = self.broker.password_file(users.site).read_text().strip()
        self.mqtt = RigMqttDevices(
            self.point_map, username=users.site, password=site_pw, tls=self.broker.tls,
            drop=self._drop_command,
        )  # fmt: skip
        self._started.append(self.mqtt)
        self.modbus = ModbusDevice(self.point_map) if self.point_map.modbus else None
        self.bacnet = BacnetDevice(self.point_map) if self.point_map.bacnet else None
        self._started += [d for d in (self.modbus, self.bacnet) if d is not None]
        self.writable = [p for p in self.point_map.points if p.writable]
        self.sensors = [p for p in self.point_map.points if not p.writable]
        self._sample_commands()  # the building's own control from the start
        self._publish()

    def _drop_command(self) -> bool:
        """Lose this MQTT command (called on paho's thread; its own generator)."""
        if self.gap.drop_probability and self._drop_rng.random() < self.gap.drop_probability:
            self.dropped["command"] += 1
            return True
        return False

    # -- one site step ---------------------------------------------------------------------------

    def _device_value(self, p: Point) -> float | None:
        if p.protocol in self.down:
            return None
        if p.protocol == "mqtt":
            return self.mqtt.value(p.name)
        if p.protocol == "modbus" and self.modbus is not None:
            return self.modbus.value(p.name)
        if p.protocol == "bacnet" and self.bacnet is not None:
            return self.bacnet.present_value(p.name)
        return None

    def _remote(self, p: Point) -> bool:
        """Whether ``p``'s device follows the controller now (else the building's control)."""
        if p.protocol in self.down:
            return False
        if p.protocol == "mqtt":
            return self.mqtt.remote(p.name)
        if p.protocol == "modbus" and self.modbus is not None:
            return self.modbus.heartbeats > 0 and not self.modbus.fallen_back
        return True  # BACnet: the priority array decides (the schedule writes at 16)

    def _write_own(self, p: Point, value: float) -> None:
        """The building's own control sets ``p`` (only when it changes)."""
        if p.protocol in self.down:
            return
        if p.protocol == "bacnet" and self.bacnet is not None:
            if self._written.get(p.name) != value:
                self.bacnet.set_value(p.name, value, priority=16)
        elif self._written.get(p.name) != value or self._device_value(p) != value:
            if p.protocol == "mqtt":
                self.mqtt.set_value(p.name, value)
            elif self.modbus is not None:
                self.modbus.set_value(p.name, value)
        self._written[p.name] = value

    def _sample_commands(self) -> dict[str, np.ndarray]:
        """The values in force for the step about to run, per quantity (see step 1)."""
        own = self.binding.own_control(self.world)
        values = {q: v.astype(np.float64).copy() for q, v in own.items()}
        zones = {z: i for i, z in enumerate(self.binding.zone_names)}
        displays = {d: i for i, d in enumerate(self.binding.display_names)}
        for p in self.writable:
            index = zones.get(p.owner, displays.get(p.owner))
            if index is None or p.quantity not in values:
                continue
            fallback = float(own[p.quantity][index])
            if p.protocol == "bacnet" or not self._remote(p):
                self._write_own(p, fallback)
            value = self._device_value(p) if self._remote(p) else fallback
            value = fallback if value is None or not np.isfinite(value) else value
            hist = self._history.setdefault(p.name, deque([(-(10**9), value)], maxlen=16))
            if hist[-1][1] != value:
                hist.append((self.step_index, value))
            in_force = hist[0][1]
            for since, v in hist:
                if since <= self.step_index - self.gap.actuator_lag_steps:
                    in_force = v
            values[p.quantity][index] = in_force
        return values

    def _sensor_value(self, p: Point) -> float:
        """What ``p``'s sensor reads now, with the gap's noise and resolution."""
        w, g, t = self.world, self.gap, self.world.t
        z = self.binding.zone_names.index(p.zone) if p.zone is not None else -1
        q = p.quantity
        if q == "temperature_c":
            v, noise, step = (
                float(w.sensed_temperature()[0, z]),
                g.temperature_noise_k,
                g.temperature_step_k,
            )
        elif q == "t_out_c":
            v, noise, step = float(w.t_out[t, 0]), g.temperature_noise_k, g.temperature_step_k
        elif q == "illuminance_lux":
            lux = float(w.lux[0, z])
            v, noise, step = lux, g.illuminance_noise_rel * lux, g.illuminance_step_lux
        elif q == "ghi_w_m2":
            v, noise, step = float(w.ghi[t, 0]), 0.0, 0.0
        elif q == "energy_kwh":
            joules = float(w.energy_hvac[0].sum() + w.acc[ACC_ENERGY_LIGHT_J, 0])
            step = g.energy_step_kwh
            kwh = joules / 3.6e6
            return float(np.floor(kwh / step) * step) if step else kwh
        elif q == "presence":
            return float(bool(w.zone_occupied[0, z]))
        elif q == "count":
            return float(w.count[0, z])
        elif q in ("light_lux", "light_cct_k"):  # a light reporting its level, in whole units
            return float(np.round(self._in_force[q][z])) if q in self._in_force else np.nan
        elif q == "heat_setpoint_c":
            return float(w.setpoint[0, z])
        elif q == "cool_setpoint_c":
            return float(w.cool_setpoint[0, z])
        else:
            raise PointMapError(f"point {p.name!r}: the rig has no sensor for {q!r}")
        if noise:
            v += noise * float(self.rng.standard_normal())
        return float(np.round(v / step) * step) if step else v

    def _publish(self) -> None:
        """Sensors first (each may be dropped), then the feed that names the step."""
        for p in self.sensors:
            if p.protocol in self.down or p.name in self.frozen:
                continue
            value = self._sensor_value(p)
            if self.step_index > 0 and self.gap.drop_probability:
                if self.rng.random() < self.gap.drop_probability:
                    self.dropped["sensor"] += 1
                    continue
            if p.protocol == "mqtt":
                self.mqtt.set_value(p.name, value)
            elif p.protocol == "modbus" and self.modbus is not None:
                self.modbus.set_value(p.name, value)
            elif self.bacnet is not None:
                self.bacnet.set_value(p.name, value)
        msg = feed_message(
            self.binding,
            self.world,
            self.point_map.name,
            self.world.t,
            self.world.done,
            self.speed,
        )
        self.mqtt.publish(self.point_map.mqtt.feed_topic, json.dumps(msg), retain=True)  # type: ignore[union-attr]

    def step(self) -> None:
        """One site step: sample the actuators, step the World, publish (module docstring)."""
        values = self._sample_commands()
        commands = self.binding.commands(values)
        self.world.step(commands)  # arbitration leaves the values in force in ``commands``
        self._in_force = {"light_lux": np.array(commands.light_lux[0]),
                          "light_cct_k": np.array(commands.light_cct_k[0])}  # fmt: skip
        self.step_index += 1
        self._occupant_overrides()
        self._publish()

    def _occupant_overrides(self) -> None:
        """Write the occupants' overrides into the BACnet device at the operator priority.

        A resident turning the thermostat up holds the set-point there until they let
        go (the World relinquishes it), when the rig releases the slot.
        """
        held = self.binding.occupant_overrides(self.world)
        if not held or self.bacnet is None or "bacnet" in self.down:
            return
        assert self.point_map.bacnet is not None
        prio = self.point_map.bacnet.override_priority
        zones = {z: i for i, z in enumerate(self.binding.zone_names)}
        for p in self.writable:
            if p.protocol != "bacnet" or p.quantity not in held or p.owner not in zones:
                continue
            value = float(held[p.quantity][zones[p.owner]])
            if np.isfinite(value):
                if self._held.get(p.name) != value:
                    self.bacnet.set_value(p.name, value, priority=prio)
                    self._held[p.name] = value
            elif p.name in self._held:
                self.bacnet.release(p.name, prio)
                del self._held[p.name]

    @property
    def done(self) -> bool:
        """Whether the scenario's horizon has been reached."""
        return self.world.done

    # -- pacing ------------------------------------------------------------------------------

    def serve(self, steps: int | None = None, linger_s: float = 0.0, wait_s: float = 0.0) -> None:
        """Step in real time (``speed`` x) until the horizon, ``steps`` or :meth:`request_stop`.

        Paced by a :class:`simpy.rt.RealtimeEnvironment` (not strict: a late step is
        counted in :attr:`late_steps` and the site catches up). With ``wait_s`` the
        site's clock starts only when a controller comes online (or after ``wait_s``
        wall seconds), so a deployment started by hand sees the site's first day. After
        the horizon the endpoints stay up for ``linger_s`` wall seconds, so a deployment
        sees the end.
        """
        import simpy.rt

        deadline = time.monotonic() + wait_s
        while time.monotonic() < deadline and not self._stop.is_set():
            if self.mqtt.controller_online:
                break
            time.sleep(0.02)

        env = simpy.rt.RealtimeEnvironment(factor=1.0 / self.speed, strict=False)
        last = self.world.n_steps if steps is None else min(self.world.n_steps, steps)

        def site() -> Any:
            while self.step_index < last and not self._stop.is_set():
                yield env.timeout(self.dt)
                due = env.real_start + env.now / self.speed
                if time.monotonic() - due > 0.5 * self.dt / self.speed:
                    self.late_steps += 1
                self.step()

        env.process(site())
        env.run()
        self._stop.wait(linger_s)

    def stop_device(self, protocol: str) -> None:
        """Stop the Modbus or BACnet device (a fault), until :meth:`restart_device`.

        Its zones run on the building's own control and its sensors go silent.
        """
        dev = self.modbus if protocol == "modbus" else self.bacnet
        if dev is None:
            raise ValueError(f"the rig has no {protocol} device")
        self.down.add(protocol)
        self._started.remove(dev)
        dev.stop()

    def restart_device(self, protocol: str) -> None:
        """Start a stopped device again on the same address, holding its fail-safe values."""
        if protocol == "modbus":
            self.modbus = ModbusDevice(self.point_map)
            self._started.append(self.modbus)
        else:
            self.bacnet = BacnetDevice(self.point_map)
            self._started.append(self.bacnet)
        for p in self.writable:
            if p.protocol == protocol:
                self._written.pop(p.name, None)
        self.down.discard(protocol)

    def request_stop(self) -> None:
        """Make :meth:`serve` return after the step in progress (thread-safe)."""
        self._stop.set()

    def summary(self) -> dict[str, Any]:
        """What the rig did: steps, gap, drops, late steps, endpoints."""
        pm = self.point_map
        return {
            "scenario": self.scenario.name, "seed": self.seed, "speed": self.speed,
            "steps": self.step_index, "late_steps": self.late_steps, "dropped": dict(self.dropped),
            "gap": self.gap.model_dump(),
            "mqtt": f"127.0.0.1:{pm.mqtt.port}" if pm.mqtt else None,
            "modbus": f"127.0.0.1:{pm.modbus.port}" if pm.modbus else None,
            "bacnet": pm.bacnet.device_address if pm.bacnet else None,
        }  # fmt: skip

    # -- lifecycle ---------------------------------------------------------------------------

    def stop(self) -> None:
        """Stop every endpoint the rig started (idempotent) and write ``rig.json``."""
        self._stop.set()
        while self._started:
            self._started.pop().stop()
        if hasattr(self, "point_map"):
            (self.workdir / "rig.json").write_text(json.dumps(self.summary(), indent=2) + "\n")

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
