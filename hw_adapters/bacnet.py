"""BACnet/IP adapter (bacpypes3), with a synchronous API over its asyncio stack.

Set-points are commandable objects with a 16-slot priority array. The controller writes
``present-value`` at the point's priority (12 by default: below an operator's manual
override at 8, above the building's schedule at 16), reads it back, and relinquishes by
writing NULL at that priority, which hands the point back to whatever the building has
at lower priorities, or its ``relinquish-default``. Priorities 1-2 (life safety) are
refused by the point map.

bacpypes3 runs an asyncio loop; this adapter owns one on a dedicated thread
(:class:`~hw_adapters._loop.LoopThread`) and waits for each request with a time-out of
``timeout_s * (retries + 1)``, so a dead device gives a :class:`HardwareError`, never a
hang. bacpypes3 reports BACnet errors, rejects and aborts as ``BaseException``
subclasses; they are turned into :class:`HardwareError` here.
"""

from __future__ import annotations

import time
from collections.abc import Coroutine, Sequence
from typing import Any, TypeVar

from hw_adapters._loop import LoopThread
from hw_adapters.base import AdapterBase, Reading, require
from hw_adapters.pointmap import BacnetConfig, Point
from twin.errors import HardwareError

__all__ = ["BacnetAdapter"]

T = TypeVar("T")


class BacnetAdapter(AdapterBase):
    """Reads and commands the BACnet points of one device.

    Args:
        config: the site's ``[bacnet]`` section (device address, our local address).
        points: the BACnet points this adapter serves.

    Raises:
        HardwareError: the local BACnet port cannot be opened.
    """

    protocol = "bacnet"

    def __init__(self, config: BacnetConfig, points: Sequence[Point]) -> None:
        require("bacpypes3.app", "bacpypes3")
        from bacpypes3.pdu import Address

        self.config = config
        self.points = tuple(points)
        self._device = Address(config.device_address)
        self._where = f"bacnet device {config.device_instance} at {config.device_address}"
        self._timeout = config.timeout_s * (config.retries + 1) + 1.0
        self._beat = 0
        self._closed = False
        self._loop = LoopThread(f"bacnet-{config.local_address}")
        try:
            self._app = self._loop.run(self._start(), timeout=10)
        except OSError as exc:
            self._loop.stop()
            raise HardwareError(
                f"bacnet: cannot open local address {config.local_address}: {exc}"
            ) from None

    async def _start(self) -> Any:
        from bacpypes3.app import Application
        from bacpypes3.argparse import SimpleArgumentParser

        args = SimpleArgumentParser().parse_args(
            [
                "--address", self.config.local_address,
                "--instance", str(self.config.local_instance),
                "--name", f"twin-controller-{self.config.local_instance}",
            ]
        )  # fmt: skip
        app = Application.from_args(args)
        # bacpypes3 reads these from its own device object for every confirmed request.
        app.device_object.apduTimeout = int(self.config.timeout_s * 1000)
        app.device_object.numberOfApduRetries = self.config.retries
        return app

    def _run(self, coro: Coroutine[Any, Any, T], what: str) -> T:
        """Run one request; every failure becomes a :class:`HardwareError` naming ``what``."""
        from bacpypes3.apdu import ErrorRejectAbortNack

        if self._closed:
            coro.close()
            raise HardwareError(f"{self._where}: {what}: adapter is closed")
        try:
            return self._loop.run(coro, timeout=self._timeout)
        except ErrorRejectAbortNack as exc:  # a BaseException in bacpypes3
            raise HardwareError(f"{self._where}: {what}: {exc}") from None
        except TimeoutError:
            raise HardwareError(
                f"{self._where}: {what}: no answer within {self._timeout:.1f} s; "
                "is the device up and reachable?"
            ) from None

    @staticmethod
    def _object(point: Point) -> str:
        if point.bacnet is None:
            raise HardwareError(f"point {point.name!r} is not a bacnet point")
        return point.bacnet.object_id

    # -- Adapter -------------------------------------------------------------------------

    def read_raw(self, point: Point) -> float:
        """``present-value`` of the point's object (device units)."""
        obj = self._object(point)
        value = self._run(
            self._app.read_property(self._device, obj, "present-value"), f"read {point.name!r}"
        )
        return float(value)

    def read(self, points: Sequence[Point]) -> dict[str, Reading]:
        """Read ``present-value`` of each point; raises on the first failure."""
        return {p.name: Reading(p.from_raw(self.read_raw(p)), time.time()) for p in points}

    def write(self, point: Point, value: float, priority: int | None = None) -> None:
        """Write ``value`` (twin units) at ``priority`` (default: the point's)."""
        from bacpypes3.primitivedata import Real

        obj = self._object(point)
        prio = point.priority if priority is None else priority
        self._run(
            self._app.write_property(
                self._device, obj, "present-value", Real(point.to_raw(value)), priority=prio
            ),
            f"write {point.name!r} = {value!r} at priority {prio}",
        )

    def relinquish(self, point: Point, priority: int | None = None) -> None:
        """Write NULL at ``priority`` (default: the point's): the slot no longer commands."""
        from bacpypes3.primitivedata import Null

        obj = self._object(point)
        prio = point.priority if priority is None else priority
        self._run(
            self._app.write_property(self._device, obj, "present-value", Null(()), priority=prio),
            f"relinquish {point.name!r} at priority {prio}",
        )

    def priority_array(self, point: Point) -> list[float | None]:
        """The 16 slots of the point's priority array (device units; None = NULL)."""
        obj = self._object(point)
        slots = self._run(
            self._app.read_property(self._device, obj, "priority-array"),
            f"read priority-array of {point.name!r}",
        )
        out: list[float | None] = []
        for slot in slots:
            out.append(None if slot.null is not None else float(getattr(slot, slot._choice)))
        return out

    def held_above(self, point: Point) -> int | None:
        """The highest priority (1-16) above the point's own that holds a value, if any.

        A value there (an operator's or occupant's override written by the site) beats
        the policy; the controller locks the point out of policy control while it lasts.
        """
        for level, value in enumerate(self.priority_array(point)[: point.priority - 1], 1):
            if value is not None:
                return level
        return None

    def heartbeat(self) -> None:
        """Increment the heartbeat analog-value (priority 16), if the site has one."""
        from bacpypes3.primitivedata import Real

        inst = self.config.heartbeat_instance
        if inst is None:
            return
        self._beat = (self._beat + 1) % 65536
        self._run(
            self._app.write_property(
                self._device, f"analog-value,{inst}", "present-value", Real(self._beat), priority=16
            ),
            f"heartbeat (analog-value {inst})",
        )

    def close(self) -> None:
        """Close the UDP port and stop the loop thread (idempotent)."""
        if self._closed:
            return
        self._closed = True

        async def shut() -> None:
            self._app.close()

        try:
            self._loop.run(shut(), timeout=5)
        finally:
            self._loop.stop()
