"""``twin deploy``: a policy on a site, through the safety envelope, on a real-time clock.

Each control step (the scenario's ``dt``, on a :class:`simpy.rt.RealtimeEnvironment`
running ``speed`` times faster than the wall clock against the rig):

1. read every point (:meth:`Controller.refresh`) and the latest site feed;
2. assemble the Measurements and the venue's context (:mod:`hw_adapters.venues`) and
   encode the observation with the twin's own encoder and consent rule;
3. ask the policy (a baseline or a trained ``policy.zip``), decode its action without
   clipping, map the Commands onto the site's points (:func:`point_commands`);
4. have the controller judge and execute them (``dry-run``, ``shadow`` or ``act``),
   every command audited; pick up operators' overrides (BACnet);
5. append the step's readings to ``steps.jsonl``.

Faults never go unnoticed and never stop the building: an endpoint that stops answering
leaves its sensors to age until their set-points fall back to their fail-safe values
(writes fail and are audited as ``failed``), and the deployment carries on and resumes
when it answers again, printing each change of health once. It stops, with a clear
message, when the site reports the end of its run, after ``steps``, on Ctrl-C / SIGTERM,
or when no endpoint has answered for ``max_outage_steps``. On any stop the controller
hands every point back to the building (act mode).

The run directory is created when the site is reachable; ``audit.jsonl`` and
``steps.jsonl`` are append-only from the first step (a killed deployment leaves them
intact); the tables, KPIs and plots are written at the end
(:mod:`hw_adapters.deploy_record`), ``run.json`` last.
"""

from __future__ import annotations

import json
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np

from hw_adapters.audit import Mode
from hw_adapters.controller import Controller, open_adapters, point_commands
from hw_adapters.feed import FeedReader
from hw_adapters.pointmap import PointMap
from hw_adapters.venues import site_binding, site_scenario
from hw_adapters.venues.base import from_iso, to_iso
from policies.base import Policy
from twin.errors import HardwareError, PointMapError
from twin.rundir import check_free
from twin.scenario import Scenario
from twin.world import World

__all__ = ["DeployResult", "Deployment"]

#: How long to wait for the site's first feed message (wall seconds).
FEED_TIMEOUT_S = 15.0


@dataclass
class DeployResult:
    """How a deployment ended: steps run, why it stopped, where its run directory is."""

    out: Path
    steps: int
    stop_reason: str
    clean: bool
    late_steps: int = 0
    health_events: list[str] = field(default_factory=list)


class Deployment:
    """One policy on one site (see the module docstring).

    Args:
        policy: a policy spec (``rule_based``, a ``policy.zip``) or a policy object.
        point_map: the site.
        scenario: the twin's scenario of the site (zones, action ranges, encoder).
        out: the run directory to create (must not exist).
        mode: ``dry-run``, ``shadow`` or ``act``.
        speed: site seconds per wall second (default: what the site's feed says, 1 on a
            real site; the rig publishes its own).
        steps: stop after this many control steps (default: when the site ends).
        phase: where in each site step the control step runs (fraction of ``dt``
            after the site's step; the rig steps at 0).
        max_outage_steps: stop after this many steps with no endpoint answering.
        log: prints a line (default: ``print``).
    """

    def __init__(
        self,
        policy: str | Policy,
        point_map: PointMap,
        scenario: Scenario,
        out: str | Path,
        *,
        mode: Mode | str = Mode.DRY_RUN,
        speed: float | None = None,
        steps: int | None = None,
        phase: float = 0.3,
        max_outage_steps: int = 20,
        log: Callable[[str], None] = print,
    ) -> None:
        from policies import make_policy

        scenario = site_scenario(scenario)  # a neighbourhood's site: its first home
        self.point_map = point_map
        self.scenario = scenario
        self.out = Path(out)
        self.mode = Mode(mode)
        self.speed = 1.0 if speed is None else float(speed)
        self._speed_given = speed is not None
        self.max_steps = steps
        self.phase = phase
        self.max_outage_steps = max_outage_steps
        self.log = log
        self.dt = scenario.simulation.dt_s
        self.k, self._outage, self.late_steps, self._late, self.skipped_steps = 0, 0, 0, False, 0
        self.events: list[str] = []
        self._last_health: dict[str, str | None] = {}
        self.stop_reason = "stopped"
        self._steps_file: Any = None
        check_free(self.out)
        if point_map.venue != scenario.venue:
            raise PointMapError(
                f"point map {point_map.name!r} is for a {point_map.venue} site; scenario "
                f"{scenario.name!r} is a {scenario.venue}"
            )
        self.world = World(scenario, 1)
        task = self.world.venue.task(personal_data=True)
        self.policy = make_policy(policy, task) if isinstance(policy, str) else policy
        self.policy_name = policy if isinstance(policy, str) else self.policy.name
        task.personal_data = self.policy.uses_personal_data
        self.binding = site_binding(task)
        missing = self.binding.coverage(point_map)
        if missing:  # before anything is connected, let alone written
            lines = [f"point map {point_map.name!r}: {m}" for m in missing]
            raise PointMapError("\n".join(lines) + "\n(the policy needs these points)")
        if point_map.mqtt is None:
            raise PointMapError(
                f"point map {point_map.name!r}: the site feed (clock, forecast, venue context) "
                "comes over MQTT; add an [mqtt] section"
            )

    # -- the site's clock -----------------------------------------------------------------

    def _timebase(self, wall: float) -> float:
        """Wall-clock seconds -> run time on the site's time line (s since the start)."""
        return self._site0 + (wall - self._wall0) * self.speed

    def _connect(self) -> None:
        assert self.point_map.mqtt is not None
        self.feed = FeedReader(self.point_map.mqtt)
        try:
            first = self.feed.wait_for(lambda m: True, FEED_TIMEOUT_S)
            if first is None:
                raise HardwareError(
                    f"no site feed on {self.point_map.mqtt.feed_topic!r} within "
                    f"{FEED_TIMEOUT_S:g} s; is the site (or `twin rig serve`) running?"
                )
            if first.get("venue") != self.scenario.venue:
                raise PointMapError(
                    f"the site feed is of a {first.get('venue')} site; the scenario is a "
                    f"{self.scenario.venue}"
                )
            if not self._speed_given:
                self.speed = float(first.get("speed", 1.0))
            self.adapters = open_adapters(self.point_map)  # online: a waiting rig starts
            # Start on a fresh site step, so the control steps keep their phase.
            step0 = first["step"]
            fresh = self.feed.wait_for(lambda m: m["step"] != step0, 3 * self.dt / self.speed + 5)
            msg, arrived = self.feed.latest()
            assert msg is not None
            if fresh is None and not msg.get("done"):
                self.log("warning: the site feed is not advancing; starting anyway")
            self._site0 = self.binding.run_time(from_iso(msg["time"]))
            self._wall0 = arrived
        except BaseException:
            for adapter in getattr(self, "adapters", {}).values():
                adapter.close()
            self.feed.close()
            raise

    # -- one control step ----------------------------------------------------------------

    def _decide(
        self, readings: dict[str, Any], feed: dict[str, Any]
    ) -> tuple[np.ndarray, np.ndarray, dict[str, float]]:
        """Observation -> policy -> point commands; also the occupants' heat and disclosure."""
        meas = self.binding.measurements(self.point_map, readings, feed)
        ctx = self.binding.context(feed, self.point_map, readings)
        obs, known = self.binding.encode(meas, ctx)
        action, _ = self.policy.predict(obs[0], deterministic=True)
        commands = self.binding.decode(np.asarray(action))
        wanted = point_commands(
            self.point_map, commands, self.binding.zone_names, self.binding.display_names
        )
        return self.binding.occupant_heat_w(feed, ctx, meas), known, wanted

    def _anchor(self) -> None:
        """Tie the site's time line to the wall clock at the arrival of a fresh feed step.

        Before that, one dry pass through encoder, policy and decoder loads whatever
        they compile or cache, so the first real step is not late.
        """
        feed, _ = self.feed.latest()
        assert feed is not None
        self._decide(self.controller.refresh(), feed)
        step0 = feed["step"]
        self.feed.wait_for(lambda m: m["step"] != step0 or bool(m.get("done")),
                           2 * self.dt / self.speed + 5)  # fmt: skip
        msg, arrived = self.feed.latest()
        assert msg is not None
        self._site0 = self.binding.run_time(from_iso(msg["time"]))
        self._wall0 = arrived

    def _health(self) -> dict[str, str | None]:
        health = dict(self.controller.health)
        mqtt: Any = self.adapters.get("mqtt")
        if mqtt is not None and not mqtt.connected:
            health["mqtt"] = "broker connection lost"
        if not self.feed.connected:
            health["feed"] = "broker connection lost"
        return health

    def _report_health(self, health: dict[str, str | None]) -> None:
        for key, state in health.items():
            if state != self._last_health.get(key):
                line = f"{key}: {state}" if state else f"{key}: answering again"
                self.log(line)
                self.events.append(f"step {self.k}: {line}")
        self._last_health = health

    def control_step(self) -> bool:
        """One control step; False when the deployment should stop."""
        now_wall = time.time()
        readings = self.controller.refresh()
        health = self._health()
        self._report_health(health)
        down = [k for k in self.adapters if health.get(k)]
        self._outage = self._outage + 1 if len(down) == len(self.adapters) else 0
        if self._outage >= self.max_outage_steps:
            self.stop_reason = (
                f"no endpoint has answered for {self._outage} control steps "
                f"({', '.join(f'{k}: {health[k]}' for k in down)})"
            )
            return False
        feed, arrived = self.feed.latest()
        assert feed is not None
        if feed.get("done"):
            self.stop_reason = "the site reports the end of its run"
            return False
        now = self._timebase(now_wall)
        feed_t = self.binding.run_time(from_iso(feed["time"]))
        behind = max(0, round((now - feed_t) / self.dt - self.phase))
        if behind:  # a stale feed: the clock moves on, the context is the last one
            grid = feed_t + behind * self.dt
            feed = {
                **feed,
                "time": to_iso(self.scenario.simulation.start + timedelta(seconds=grid)),
            }
        heat, known, wanted = self._decide(readings, feed)
        records = self.controller.apply(wanted)
        if "bacnet" in self.adapters and not health.get("bacnet"):
            try:
                self.controller.sync_overrides()
            except HardwareError as exc:
                self.log(f"bacnet: overrides not read: {exc}")
        row = {
            "k": self.k, "wall": round(now_wall, 4),
            "duration_ms": round((time.time() - now_wall) * 1e3, 2), "time": feed["time"],
            "step": feed["step"],
            "feed_age_s": round(now - feed_t, 3), "late": bool(self._late),
            "health": {k: v for k, v in health.items() if v},
            "readings": {n: [r.value, round(now - r.timestamp, 3)] for n, r in readings.items()},
            "occupant_heat_w": [round(float(h), 3) for h in heat],
            "disclosed": int(np.count_nonzero(known)),
            "decisions": {r.point: r.decision for r in records},
        }  # fmt: skip
        self._steps_file.write(json.dumps(row, allow_nan=True) + "\n")
        self._steps_file.flush()
        self.k += 1
        if self.max_steps is not None and self.k >= self.max_steps:
            self.stop_reason = f"{self.k} control steps done"
            return False
        return True

    # -- the run --------------------------------------------------------------------------

    def run(self) -> DeployResult:
        """Connect, run control steps until a stop, hand back and write the run directory.

        Raises:
            HardwareError: the site is unreachable at the start (nothing is written), or
                the deployment stopped because no endpoint answered (the run directory
                is written first, the message says why).
        """
        import simpy.rt

        from hw_adapters.deploy_record import write_deploy_run

        self._connect()
        self.out.mkdir(parents=True, exist_ok=False)
        try:
            self.controller = Controller(
                self.point_map, self.adapters, self.out / "audit.jsonl", mode=self.mode,
                clock=lambda: self._timebase(time.time()), timebase=self._timebase,
            )  # fmt: skip
        except BaseException:
            for a in self.adapters.values():
                a.close()
            self.feed.close()
            raise
        self._anchor()
        self._steps_file = (self.out / "steps.jsonl").open("a", encoding="utf-8")
        self.log(
            f"deploying {self.policy_name} on {self.point_map.name!r} in {self.mode} mode "
            f"({self.speed:g}x real time, {self.dt:g} s steps) -> {self.out}"
        )
        env = simpy.rt.RealtimeEnvironment(initial_time=self._site0, factor=1 / self.speed,
                                           strict=False)  # fmt: skip
        env.real_start = time.monotonic() - (time.time() - self._wall0)

        def due(t: float) -> float:
            return env.real_start + (t - self._site0) / self.speed

        def loop() -> Any:
            yield env.timeout(self.phase * self.dt)
            while True:
                self._late = time.monotonic() - due(env.now) > 0.5 * self.dt / self.speed
                self.late_steps += int(self._late)
                if not self.control_step():
                    return
                # A controller that fell behind skips the steps it missed, never bursts.
                nxt = env.now + self.dt
                while due(nxt) < time.monotonic():
                    nxt += self.dt
                    self.skipped_steps += 1
                yield env.timeout(nxt - env.now)

        previous = signal.getsignal(signal.SIGTERM)
        stopped_by_signal = False

        def on_term(signum: int, frame: Any) -> None:
            raise KeyboardInterrupt

        clean = True
        try:
            signal.signal(signal.SIGTERM, on_term)
        except ValueError:  # not the main thread (tests): no handler
            previous = None
        try:
            env.process(loop())
            env.run()
        except KeyboardInterrupt:
            stopped_by_signal = True
            self.stop_reason = "interrupted (Ctrl-C or SIGTERM)"
        finally:
            if previous is not None:
                signal.signal(signal.SIGTERM, previous)
            self.controller.close()  # act mode: every point back to the building
            self.feed.close()
            self._steps_file.close()
        if self._outage >= self.max_outage_steps:
            clean = False
        if self.skipped_steps:
            self.events.append(
                f"{self.skipped_steps} control steps skipped (the controller was late)"
            )
        self.log(f"stopped after {self.k} steps: {self.stop_reason}")
        result = DeployResult(
            self.out, self.k, self.stop_reason, clean and not stopped_by_signal,
            self.late_steps, self.events,
        )  # fmt: skip
        write_deploy_run(self, result)
        if not clean:
            raise HardwareError(f"deployment stopped: {self.stop_reason}; run directory {self.out}")
        return result
