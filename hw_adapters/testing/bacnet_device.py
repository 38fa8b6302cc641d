"""A real BACnet/IP device for tests: a bacpypes3 application on 127.0.0.1.

Writable points become commandable ``AnalogValueObjectCmd`` objects (16-slot priority
array, ``relinquish-default`` = the point's fail-safe, i.e. the building's own value);
sensors become ``AnalogInputObject``. A heartbeat analog-value is watched: when it
stops changing for ``heartbeat_timeout_s`` the device clears the controller's priority
slots (a BACnet priority has no lease, so a real site needs this logic in its own
controller program; this device shows what the adapter expects of it).

>>> from hw_adapters.testing.site import example_map
>>> from hw_adapters.testing.ports import free_udp_port
>>> pm = example_map(bacnet_port=free_udp_port(), bacnet_local_port=free_udp_port())
>>> with BacnetDevice(pm) as dev:
...     dev.present_value("room_01.heat"), dev.priority_array("room_01.heat")[11]
(20.0, None)
"""

from __future__ import annotations

import asyncio
import threading
import time
from types import TracebackType
from typing import Any, Self

from hw_adapters._loop import LoopThread
from hw_adapters.pointmap import Point, PointMap

__all__ = ["BacnetDevice"]


class BacnetDevice:
    """Serve a point map's BACnet points at ``bacnet.device_address`` until :meth:`stop`."""

    def __init__(self, point_map: PointMap, heartbeat_timeout_s: float | None = None) -> None:
        if point_map.bacnet is None:
            raise ValueError(f"point map {point_map.name!r} has no [bacnet] section")
        self.config = point_map.bacnet
        self.points = {p.name: p for p in point_map.of_protocol("bacnet")}
        self.timeout_s = heartbeat_timeout_s or self.config.heartbeat_timeout_s
        self.fallbacks: list[float] = []
        self.heartbeats = 0
        self._lock = threading.Lock()
        self._objects: dict[str, Any] = {}
        self._heartbeat_obj: Any = None
        self._loop = LoopThread(f"bacnet-device-{self.config.device_address}")
        self._app = self._loop.run(self._start(), timeout=10)
        self._watch_task = asyncio.run_coroutine_threadsafe(self._watch(), self._loop.loop)
        self._stopped = False

    async def _start(self) -> Any:
        from bacpypes3.app import Application
        from bacpypes3.argparse import SimpleArgumentParser
        from bacpypes3.local.analog import AnalogInputObject, AnalogValueObjectCmd

        host, port = self.config.device_address.rsplit(":", 1)
        args = SimpleArgumentParser().parse_args(
            [
                "--address", f"{host}/8:{port}",
                "--instance", str(self.config.device_instance),
                "--name", f"twin-test-device-{self.config.device_instance}",
            ]
        )  # fmt: skip
        app = Application.from_args(args)
        for p in self.points.values():
            b = p.bacnet
            assert b is not None
            if b.object_type == "analog-input":
                obj: Any = AnalogInputObject(
                    objectIdentifier=(b.object_type, b.instance), objectName=p.name,
                    presentValue=0.0,
                )  # fmt: skip
            else:
                raw = p.to_raw(p.fail_safe if p.fail_safe is not None else 0.0)
                obj = AnalogValueObjectCmd(
                    objectIdentifier=("analog-value", b.instance), objectName=p.name,
                    presentValue=raw, relinquishDefault=raw,
                )  # fmt: skip
            app.add_object(obj)
            self._objects[p.name] = obj
        if self.config.heartbeat_instance is not None:
            self._heartbeat_obj = AnalogValueObjectCmd(
                objectIdentifier=("analog-value", self.config.heartbeat_instance),
                objectName="controller-heartbeat", presentValue=0.0, relinquishDefault=0.0,
            )  # fmt: skip
            app.add_object(self._heartbeat_obj)
        return app

    async def _watch(self) -> None:
        """Clear the controller's slots when its heartbeat stops changing."""
        if self._heartbeat_obj is None:
            return
        last_value = self._heartbeat_obj.presentValue
        last_change: float | None = None
        fallen_back = False
        while True:
            await asyncio.sleep(min(0.05, self.timeout_s / 10))
            value = self._heartbeat_obj.presentValue
            now = time.monotonic()
            if value != last_value:
                last_value, last_change, fallen_back = value, now, False
                with self._lock:
                    self.heartbeats += 1
            elif last_change is not None and not fallen_back and now - last_change > self.timeout_s:
                self._relinquish_controller()
                fallen_back = True

    def _relinquish_controller(self) -> None:
        from bacpypes3.basetypes import PriorityValue

        for name, obj in self._objects.items():
            p = self.points[name]
            if p.writable:
                obj.priorityArray[p.priority - 1] = PriorityValue(null=())
        with self._lock:
            self.fallbacks.append(time.time())

    # -- test-side access (all object access happens on the device's loop) ----------------

    def _on_loop(self, fn: Any) -> Any:
        async def call() -> Any:
            return fn()

        return self._loop.run(call(), timeout=5)

    def present_value(self, name: str) -> float:
        """The object's present value in twin units."""
        p = self.points[name]
        return p.from_raw(float(self._on_loop(lambda: self._objects[name].presentValue)))

    def priority_array(self, name: str) -> list[float | None]:
        """The object's 16 priority slots in twin units (None = NULL)."""
        p: Point = self.points[name]

        def slots() -> list[float | None]:
            out: list[float | None] = []
            for slot in self._objects[name].priorityArray:
                raw = None if slot.null is not None else float(getattr(slot, slot._choice))
                out.append(None if raw is None else p.from_raw(raw))
            return out

        return self._on_loop(slots)  # type: ignore[no-any-return]

    def set_value(self, name: str, value: float, priority: int | None = None) -> None:
        """Set a point from the site's side.

        A sensor gets a new reading; a commandable point is written at ``priority`` (an
        occupant's panel at 8, the building schedule at 16), or at 16 when ``priority``
        is None. :meth:`release` clears a slot.
        """
        from bacpypes3.basetypes import PriorityValue
        from bacpypes3.primitivedata import Real

        p = self.points[name]
        raw = p.to_raw(value)

        def apply() -> None:
            obj = self._objects[name]
            if priority is None:
                obj.presentValue = Real(raw)
            else:
                obj.priorityArray[priority - 1] = PriorityValue(real=raw)

        self._on_loop(apply)

    def release(self, name: str, priority: int) -> None:
        """The site relinquishes its own slot ``priority`` of a commandable point."""
        from bacpypes3.basetypes import PriorityValue

        def apply() -> None:
            self._objects[name].priorityArray[priority - 1] = PriorityValue(null=())

        self._on_loop(apply)

    # -- lifecycle ------------------------------------------------------------------------

    def stop(self) -> None:
        """Close the device's UDP port and its loop (idempotent)."""
        if self._stopped:
            return
        self._stopped = True
        self._watch_task.cancel()
        try:
            self._on_loop(self._app.close)
        finally:
            self._loop.stop()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
