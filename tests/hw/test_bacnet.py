"""BACnet/IP adapter against a real bacpypes3 device on loopback."""

from __future__ import annotations

import time

import pytest

from hw_adapters.bacnet import BacnetAdapter
from hw_adapters.pointmap import PointMap
from hw_adapters.testing.bacnet_device import BacnetDevice
from twin.errors import HardwareError

pytestmark = pytest.mark.hardware


def test_write_at_priority_read_back_and_relinquish(
    bacnet_map: PointMap, bacnet_device: BacnetDevice
) -> None:
    heat = bacnet_map.point("room_01.heat")
    with BacnetAdapter(bacnet_map.bacnet, bacnet_map.of_protocol("bacnet")) as ad:  # type: ignore[arg-type]
        ad.write(heat, 21.5)
        slots = bacnet_device.priority_array("room_01.heat")
        assert slots[11] == 21.5 and [s for i, s in enumerate(slots) if i != 11] == [None] * 15
        assert bacnet_device.present_value("room_01.heat") == 21.5
        assert ad.read([heat])["room_01.heat"].value == 21.5
        assert ad.priority_array(heat)[11] == 21.5
        ad.relinquish(heat)
        assert bacnet_device.priority_array("room_01.heat") == [None] * 16
        assert bacnet_device.present_value("room_01.heat") == 20.0  # relinquish default


def test_a_site_override_above_the_policy_wins_and_is_detected(
    bacnet_map: PointMap, bacnet_device: BacnetDevice
) -> None:
    heat = bacnet_map.point("room_01.heat")
    with BacnetAdapter(bacnet_map.bacnet, bacnet_map.of_protocol("bacnet")) as ad:  # type: ignore[arg-type]
        ad.write(heat, 21.0)
        assert ad.held_above(heat) is None
        bacnet_device.set_value("room_01.heat", 23.0, priority=8)  # the occupant's panel
        assert ad.held_above(heat) == 8
        ad.write(heat, 21.5)  # the slot changes, the value in force does not
        assert ad.read([heat])["room_01.heat"].value == 23.0
        bacnet_device.release("room_01.heat", 8)
        assert ad.read([heat])["room_01.heat"].value == 21.5


def test_heartbeat_loss_makes_the_device_relinquish_our_slots(
    bacnet_map: PointMap, bacnet_device: BacnetDevice
) -> None:
    with BacnetAdapter(bacnet_map.bacnet, bacnet_map.of_protocol("bacnet")) as ad:  # type: ignore[arg-type]
        ad.write(bacnet_map.point("room_01.cool"), 25.0)
        for _ in range(4):
            ad.heartbeat()
            time.sleep(0.05)
    assert bacnet_device.priority_array("room_01.cool")[11] == 25.0
    deadline = time.monotonic() + 5
    while not bacnet_device.fallbacks and time.monotonic() < deadline:
        time.sleep(0.02)
    assert bacnet_device.fallbacks
    assert bacnet_device.priority_array("room_01.cool") == [None] * 16
    assert bacnet_device.present_value("room_01.cool") == 24.0


def test_a_stopped_device_gives_a_clear_error(bacnet_map: PointMap) -> None:
    dev = BacnetDevice(bacnet_map)
    ad = BacnetAdapter(bacnet_map.bacnet, bacnet_map.of_protocol("bacnet"))  # type: ignore[arg-type]
    try:
        ad.write(bacnet_map.point("room_01.heat"), 21.0)
        dev.stop()
        t0 = time.monotonic()
        with pytest.raises(HardwareError, match=r"bacnet device 1001 at 127\.0\.0\.1:\d+: write"):
            ad.write(bacnet_map.point("room_01.heat"), 21.5)
        assert time.monotonic() - t0 < 3
    finally:
        ad.close()
        ad.close()
