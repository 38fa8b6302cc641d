"""Modbus TCP adapter against a real pymodbus server on loopback."""

from __future__ import annotations

import time

import pytest

from hw_adapters.modbus import ModbusAdapter, encode
from hw_adapters.pointmap import PointMap
from hw_adapters.testing.modbus_device import ModbusDevice
from twin.errors import HardwareError

pytestmark = pytest.mark.hardware


def test_write_reaches_the_device_and_reads_back(
    modbus_map: PointMap, modbus_device: ModbusDevice
) -> None:
    pts = modbus_map.of_protocol("modbus")
    modbus_device.set_value("room_02.temp", 21.7)  # stored as 217 (tenths of a degree)
    with ModbusAdapter(modbus_map.modbus, pts) as ad:  # type: ignore[arg-type]
        assert ad.read([modbus_map.point("room_02.temp")])["room_02.temp"].value == 21.7
        ad.write(modbus_map.point("room_02.heat"), 21.25)  # float32, big word order
        ad.write(modbus_map.point("room_02.cool"), 25.125)  # float32, little word order
        ad.write(modbus_map.point("room_02.mode"), 1)  # uint16 index
        assert modbus_device.writes_to("room_02.heat") == [21.25]
        assert modbus_device.writes_to("room_02.cool") == [25.125]
        assert modbus_device.value("room_02.cool") == 25.125
        got = {k: r.value for k, r in ad.read(pts).items()}
        assert got == {"room_02.temp": 21.7, "room_02.heat": 21.25, "room_02.cool": 25.125,
                       "room_02.mode": 1.0}  # fmt: skip
        ad.relinquish(modbus_map.point("room_02.heat"))  # no priority array: fail-safe
        assert modbus_device.value("room_02.heat") == 20.0


def test_raw_values_that_do_not_fit_are_refused_not_clipped(modbus_map: PointMap) -> None:
    temp = modbus_map.point("room_02.temp").modbus
    assert temp is not None
    assert encode(temp, -5.0) == [65531]
    with pytest.raises(HardwareError, match=r"outside int16 \[-32768, 32767\]"):
        encode(temp, 40000.0)


def test_heartbeat_loss_makes_the_device_fall_back(
    modbus_map: PointMap, modbus_device: ModbusDevice
) -> None:
    with ModbusAdapter(modbus_map.modbus, modbus_map.of_protocol("modbus")) as ad:  # type: ignore[arg-type]
        ad.write(modbus_map.point("room_02.heat"), 22.0)
        for _ in range(5):
            ad.heartbeat()
            time.sleep(0.05)
        assert modbus_device.heartbeats == 5 and not modbus_device.fallen_back
    deadline = time.monotonic() + 5
    while not modbus_device.fallen_back and time.monotonic() < deadline:
        time.sleep(0.02)
    assert modbus_device.fallen_back
    assert modbus_device.value("room_02.heat") == 20.0  # its own fail-safe


def test_a_stopped_device_gives_a_clear_error(modbus_map: PointMap) -> None:
    dev = ModbusDevice(modbus_map)
    ad = ModbusAdapter(modbus_map.modbus, modbus_map.of_protocol("modbus"))  # type: ignore[arg-type]
    try:
        dev.stop()
        with pytest.raises(
            HardwareError, match=r"modbus 127\.0\.0\.1:\d+ unit 1: write 'room_02.heat'"
        ):
            ad.write(modbus_map.point("room_02.heat"), 21.0)
    finally:
        ad.close()
        ad.close()
    port = modbus_map.modbus.port  # type: ignore[union-attr]
    with pytest.raises(HardwareError, match=f"127.0.0.1:{port} unit 1: no connection"):
        ModbusAdapter(modbus_map.modbus, [])  # type: ignore[arg-type]
