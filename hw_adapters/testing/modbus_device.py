"""A real Modbus TCP device for tests: a pymodbus ``SimDevice`` served on loopback.

It carries the Modbus points of a point map in the four Modbus tables (holding, input,
coils; separate address spaces as on a real device), records every write a client
makes, and behaves like a room controller that follows a remote supervisor only while
the supervisor is alive: when the heartbeat register stops changing for
``heartbeat_timeout_s`` it writes its own fail-safe values into the set-point
registers (VOLTTRON's enable/heartbeat pattern). Values are encoded here with
:mod:`struct`, independently of the adapter, so the tests check the adapter's encoding.

>>> from hw_adapters.testing.site import example_map
>>> from hw_adapters.testing.ports import free_tcp_port
>>> pm = example_map(modbus_port=free_tcp_port())
>>> with ModbusDevice(pm) as dev:
...     dev.set_value("room_02.temp", 21.5)
...     dev.value("room_02.temp")
21.5
"""

from __future__ import annotations

import asyncio
import struct
import threading
import time
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self

from hw_adapters._loop import LoopThread
from hw_adapters.pointmap import ModbusAddress, Point, PointMap

__all__ = ["ModbusDevice", "ModbusWrite"]

_FMT = {"int16": ">h", "uint16": ">H", "int32": ">i", "float32": ">f"}
_WRITE_CODES = (5, 6, 15, 16)


def to_registers(a: ModbusAddress, raw: float) -> list[int]:
    """Device-side encoding of a raw value (big-endian bytes, the point's word order)."""
    value: float = raw if a.data_type == "float32" else round(raw)
    data = struct.pack(_FMT[a.data_type], value)
    words = [int.from_bytes(data[i : i + 2], "big") for i in range(0, len(data), 2)]
    return words[::-1] if a.word_order == "little" else words


def from_registers(a: ModbusAddress, regs: list[int]) -> float:
    """Device-side decoding, the inverse of :func:`to_registers`."""
    words = regs[::-1] if a.word_order == "little" else regs
    data = b"".join(w.to_bytes(2, "big") for w in words)
    return float(struct.unpack(_FMT[a.data_type], data)[0])


@dataclass(frozen=True, slots=True)
class ModbusWrite:
    """A client write the device received: when, which point, its value in twin units."""

    time: float
    point: str
    value: float


class ModbusDevice:
    """Serve a point map's Modbus points on ``127.0.0.1:<modbus.port>`` until :meth:`stop`.

    Args:
        point_map: the site; its ``[modbus]`` section gives port, unit id and heartbeat.
        heartbeat_timeout_s: overrides the map's timeout (tests use short ones).
    """

    def __init__(self, point_map: PointMap, heartbeat_timeout_s: float | None = None) -> None:
        from pymodbus.server import ModbusTcpServer
        from pymodbus.simulator import DataType, SimData, SimDevice

        if point_map.modbus is None:
            raise ValueError(f"point map {point_map.name!r} has no [modbus] section")
        self.config = point_map.modbus
        self.points = {p.name: p for p in point_map.of_protocol("modbus")}
        self.timeout_s = heartbeat_timeout_s or self.config.heartbeat_timeout_s
        self.writes: list[ModbusWrite] = []
        self.heartbeats = 0
        self.fallbacks: list[float] = []  # times the device took control back
        self._last_beat: float | None = None
        self._fallen_back = False
        self._internal = False
        self._lock = threading.Lock()
        self._by_holding: dict[int, Point] = {}

        holding: list[SimData] = []
        inputs: list[SimData] = []
        coils: list[SimData] = []
        for p in self.points.values():
            a = p.modbus
            assert a is not None
            raw = p.to_raw(p.fail_safe if p.fail_safe is not None else 0.0)
            if a.register_type == "coil":
                coils.append(SimData(a.address, values=[bool(raw)], datatype=DataType.BITS))
                continue
            regs = to_registers(a, raw)
            block = holding if a.register_type == "holding" else inputs
            block.append(SimData(a.address, values=regs, datatype=DataType.REGISTERS))
            if a.register_type == "holding":
                self._by_holding[a.address] = p
        if self.config.heartbeat_register is not None:
            holding.append(
                SimData(self.config.heartbeat_register, values=0, datatype=DataType.UINT16)
            )
        # The four tables must each hold something; a spare register never clashes.
        spare_reg = SimData(65000, values=0, datatype=DataType.REGISTERS)
        spare_bits = SimData(65000, values=[False], datatype=DataType.BITS)
        device = SimDevice(
            id=self.config.unit_id,
            simdata=(
                coils or [spare_bits],
                [spare_bits],
                holding or [spare_reg],
                inputs or [spare_reg],
            ),
            action=self._action,
        )
        self._loop = LoopThread(f"modbus-device-{self.config.port}")

        async def start() -> Any:
            server = ModbusTcpServer(device, address=("127.0.0.1", self.config.port))
            await server.serve_forever(background=True)
            return server

        self._server = self._loop.run(start(), timeout=10)
        self._watchdog = asyncio.run_coroutine_threadsafe(self._watch(), self._loop.loop)
        self._stopped = False

    # -- device behaviour ---------------------------------------------------------------

    async def _action(
        self,
        function_code: int,
        start_address: int,
        address: int,
        count: int,
        current: list[int],
        values: list[int] | list[bool] | None,
    ) -> None:
        """Called by pymodbus on every access: record client writes and heartbeats."""
        if values is None or function_code not in _WRITE_CODES or self._internal:
            return None
        now = time.time()
        if address == self.config.heartbeat_register and function_code in (6, 16):
            with self._lock:
                self._last_beat = time.monotonic()
                self.heartbeats += 1
                self._fallen_back = False
            return None
        p = self._by_holding.get(address)
        if p is not None and p.modbus is not None and function_code in (6, 16):
            regs = [int(v) for v in values][: p.modbus.width]
            with self._lock:
                self.writes.append(
                    ModbusWrite(now, p.name, p.from_raw(from_registers(p.modbus, regs)))
                )
        return None

    async def _watch(self) -> None:
        """Fall back to fail-safe values when the heartbeat stops for ``timeout_s``."""
        while True:
            await asyncio.sleep(min(0.05, self.timeout_s / 10))
            with self._lock:
                beat = self._last_beat
                stale = beat is not None and not self._fallen_back
                stale = stale and time.monotonic() - beat > self.timeout_s  # type: ignore[operator]
            if stale:
                await self._apply_fail_safe()

    async def _apply_fail_safe(self) -> None:
        self._internal = True
        try:
            for p in self._by_holding.values():
                if p.writable and p.fail_safe is not None and p.modbus is not None:
                    regs = to_registers(p.modbus, p.to_raw(p.fail_safe))
                    await self._server.async_setValues(
                        self.config.unit_id, 16, p.modbus.address, regs
                    )
        finally:
            self._internal = False
        with self._lock:
            self._fallen_back = True
            self.fallbacks.append(time.time())

    # -- test-side access ---------------------------------------------------------------

    @property
    def fallen_back(self) -> bool:
        """True while the device runs on its own fail-safe values (heartbeat lost)."""
        with self._lock:
            return self._fallen_back

    def _device_io(self, fn: Any, *args: Any) -> Any:
        """Device-side register access, not recorded as a client write.

        The flag is set and cleared on the loop thread around an await with no suspension
        point inside (the action is synchronous), so a client request cannot slip between.
        """

        async def io() -> Any:
            self._internal = True
            try:
                return await fn(self.config.unit_id, *args)
            finally:
                self._internal = False

        return self._loop.run(io(), timeout=5)

    def _code(self, a: ModbusAddress, write: bool) -> int:
        if a.register_type == "coil":
            return 15 if write else 1
        if a.register_type == "input":
            return 4
        return 16 if write else 3

    def value(self, name: str) -> float:
        """The point's current value in twin units, as the device holds it."""
        p = self.points[name]
        a = p.modbus
        assert a is not None
        got = self._device_io(
            self._server.async_getValues, self._code(a, False), a.address, a.width
        )
        raw = float(got[0]) if a.register_type == "coil" else from_registers(a, list(got))
        return p.from_raw(raw)

    def set_value(self, name: str, value: float) -> None:
        """Set a point from the device side (a sensor reading, the site's own control)."""
        p = self.points[name]
        a = p.modbus
        assert a is not None
        raw = p.to_raw(value)
        regs: list[Any] = [bool(raw)] if a.register_type == "coil" else to_registers(a, raw)
        self._device_io(self._server.async_setValues, self._code(a, True), a.address, regs)

    def writes_to(self, name: str) -> list[float]:
        """Values clients wrote to ``name``, in order."""
        with self._lock:
            return [w.value for w in self.writes if w.point == name]

    # -- lifecycle ------------------------------------------------------------------------

    def stop(self) -> None:
        """Close the listening socket and the loop (idempotent)."""
        if self._stopped:
            return
        self._stopped = True
        self._watchdog.cancel()
        try:
            self._loop.run(self._server.shutdown(), timeout=5)
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
