"""Modbus TCP adapter (pymodbus 3 synchronous client).

Points live in holding registers (read/write), input registers (read) or coils. Values
are scaled to raw device units (``raw = value * scale + offset``), rounded to the
register's resolution for integer types (that is encoding, not clipping: a raw value
outside the type's range raises), and 32-bit types use two registers in the point's
word order via pymodbus' ``convert_to_registers``/``convert_from_registers``.

Modbus has no priority array and no session: the controller proves it is alive by
incrementing the site's heartbeat register (:meth:`ModbusAdapter.heartbeat`); the device
falls back to its own control when the register stops changing. ``relinquish`` writes
the point's ``fail_safe``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from typing import Any

from hw_adapters.base import AdapterBase, Reading, require
from hw_adapters.pointmap import ModbusAddress, ModbusConfig, Point
from twin.errors import HardwareError

__all__ = ["ModbusAdapter", "decode", "encode"]

_RANGES = {"int16": (-(2**15), 2**15 - 1), "uint16": (0, 2**16 - 1), "int32": (-(2**31), 2**31 - 1)}


def _client_class() -> Any:
    return require("pymodbus.client", "pymodbus").ModbusTcpClient


def encode(address: ModbusAddress, raw: float) -> list[int]:
    """Registers (or ``[0|1]`` for a coil) that carry ``raw``.

    Raises:
        HardwareError: ``raw`` does not fit the data type (never clipped).
    """
    client = _client_class()
    if address.register_type == "coil":
        if raw not in (0.0, 1.0):
            raise HardwareError(f"coil {address.address}: raw value {raw!r} is not 0 or 1")
        return [int(raw)]
    if address.data_type == "float32":
        regs: list[int] = client.convert_to_registers(
            float(raw), client.DATATYPE.FLOAT32, word_order=address.word_order
        )
        return regs
    value = round(raw)
    lo, hi = _RANGES[address.data_type]
    if not lo <= value <= hi:
        raise HardwareError(
            f"register {address.address}: raw value {raw!r} outside {address.data_type} "
            f"[{lo}, {hi}]; fix the point's scale/offset or its min/max"
        )
    kind = getattr(client.DATATYPE, address.data_type.upper())
    regs = client.convert_to_registers(value, kind, word_order=address.word_order)
    return regs


def decode(address: ModbusAddress, registers: Sequence[int]) -> float:
    """The raw value carried by ``registers``."""
    client = _client_class()
    kind = getattr(client.DATATYPE, address.data_type.upper())
    return float(
        client.convert_from_registers(list(registers), kind, word_order=address.word_order)
    )


class ModbusAdapter(AdapterBase):
    """Reads and writes the Modbus points of one device (one host, port and unit id).

    Args:
        config: the site's ``[modbus]`` section.
        points: the Modbus points this adapter serves.

    Raises:
        HardwareError: the device does not accept a connection.
    """

    protocol = "modbus"

    def __init__(self, config: ModbusConfig, points: Sequence[Point]) -> None:
        self.config = config
        self.points = tuple(points)
        self._where = f"modbus {config.host}:{config.port} unit {config.unit_id}"
        self._lock = threading.Lock()
        self._beat = 0
        self._closed = False
        self._client = _client_class()(
            config.host,
            port=config.port,
            timeout=config.timeout_s,
            retries=config.retries,
            reconnect_delay=0.1,
            reconnect_delay_max=1.0,
        )
        if not self._client.connect():
            raise HardwareError(f"{self._where}: no connection; is the device up and reachable?")

    # -- protocol plumbing ---------------------------------------------------------------

    def _call(self, what: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        """One request under the lock; any failure becomes a HardwareError naming ``what``."""
        exceptions = require("pymodbus.exceptions", "pymodbus")
        if self._closed:
            raise HardwareError(f"{self._where}: {what}: adapter is closed")
        with self._lock:
            try:
                if not self._client.connected:
                    self._client.connect()
                response = fn(*args, device_id=self.config.unit_id, **kwargs)
            except exceptions.ModbusException as exc:
                raise HardwareError(f"{self._where}: {what}: {exc}") from None
        if response.isError():
            code = getattr(response, "exception_code", "?")
            raise HardwareError(f"{self._where}: {what}: device answered exception code {code}")
        return response

    @staticmethod
    def _address(point: Point) -> ModbusAddress:
        if point.modbus is None:
            raise HardwareError(f"point {point.name!r} is not a modbus point")
        return point.modbus

    # -- Adapter -------------------------------------------------------------------------

    def read_raw(self, point: Point) -> float:
        """The raw device value of ``point`` (no scaling)."""
        a = self._address(point)
        what = f"read {point.name!r} ({a.register_type} {a.address})"
        if a.register_type == "coil":
            return float(self._call(what, self._client.read_coils, a.address, count=1).bits[0])
        fn = self._client.read_holding_registers
        if a.register_type == "input":
            fn = self._client.read_input_registers
        return decode(a, self._call(what, fn, a.address, count=a.width).registers)

    def read(self, points: Sequence[Point]) -> dict[str, Reading]:
        """Poll each point; raises :class:`HardwareError` on the first failure."""
        out = {}
        for p in points:
            raw = self.read_raw(p)
            out[p.name] = Reading(p.from_raw(raw), time.time())
        return out

    def write(self, point: Point, value: float) -> None:
        """Write ``value`` (twin units); the device's acknowledgement confirms it."""
        a = self._address(point)
        if a.register_type == "input":
            raise HardwareError(f"point {point.name!r}: input registers are read-only")
        regs = encode(a, point.to_raw(value))
        what = f"write {point.name!r} = {value!r} ({a.register_type} {a.address})"
        if a.register_type == "coil":
            self._call(what, self._client.write_coil, a.address, bool(regs[0]))
        elif len(regs) == 1:
            self._call(what, self._client.write_register, a.address, regs[0])
        else:
            self._call(what, self._client.write_registers, a.address, regs)

    def relinquish(self, point: Point) -> None:
        """No priority array in Modbus: write the point's fail-safe value."""
        if point.fail_safe is None:
            raise HardwareError(f"point {point.name!r} has no fail_safe to fall back to")
        self.write(point, point.fail_safe)

    def heartbeat(self) -> None:
        """Increment the heartbeat register (wraps at 65535) so the device sees us alive."""
        reg = self.config.heartbeat_register
        if reg is None:
            return
        self._beat = (self._beat + 1) % 65536
        self._call(f"heartbeat (holding {reg})", self._client.write_register, reg, self._beat)

    def close(self) -> None:
        """Close the TCP connection (idempotent)."""
        if not self._closed:
            self._closed = True
            with self._lock:
                self._client.close()
