"""Real endpoints on loopback for the hardware-adapter tests.

Mosquitto is a system package (``make system-deps``). Without it these tests fail loudly,
as CI must; a developer may set ``TWIN_HW_TESTS=skip`` to skip them instead.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from hw_adapters.pointmap import PointMap
from hw_adapters.testing.bacnet_device import BacnetDevice
from hw_adapters.testing.modbus_device import ModbusDevice
from hw_adapters.testing.mosquitto import Mosquitto, find_mosquitto
from hw_adapters.testing.mqtt_device import MqttDevice
from hw_adapters.testing.ports import free_tcp_port, free_udp_port
from hw_adapters.testing.site import example_map


def need_mosquitto() -> None:
    if find_mosquitto() is not None:
        return
    why = "mosquitto is not installed (run `make system-deps`)"
    if os.environ.get("TWIN_HW_TESTS") == "skip":
        pytest.skip(f"{why}; TWIN_HW_TESTS=skip")
    pytest.fail(f"{why}; set TWIN_HW_TESTS=skip to skip MQTT tests locally", pytrace=False)


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Mosquitto]:
    need_mosquitto()
    with Mosquitto(tmp_path / "broker") as b:
        yield b


@pytest.fixture
def modbus_map() -> PointMap:
    return example_map(modbus_port=free_tcp_port())


@pytest.fixture
def modbus_device(modbus_map: PointMap) -> Iterator[ModbusDevice]:
    with ModbusDevice(modbus_map) as dev:
        yield dev


@pytest.fixture
def bacnet_map() -> PointMap:
    return example_map(bacnet_port=free_udp_port(), bacnet_local_port=free_udp_port())


@pytest.fixture
def bacnet_device(bacnet_map: PointMap) -> Iterator[BacnetDevice]:
    with BacnetDevice(bacnet_map) as dev:
        yield dev


@pytest.fixture
def mqtt_map(broker: Mosquitto) -> PointMap:
    return example_map(mqtt_port=broker.port)


@pytest.fixture
def mqtt_device(mqtt_map: PointMap) -> Iterator[MqttDevice]:
    with MqttDevice(mqtt_map) as dev:
        yield dev


@dataclass
class Site:
    """The example site with all three device endpoints running."""

    map: PointMap
    broker: Mosquitto
    mqtt: MqttDevice
    modbus: ModbusDevice
    bacnet: BacnetDevice

    def sensors(self, **temps: float) -> None:
        """Publish room temperatures from the device side (zone=value)."""
        for zone, value in temps.items():
            name = f"{zone}.temp"
            dev = {"room_01": self.bacnet, "room_02": self.modbus, "lobby": self.mqtt}[zone]
            dev.set_value(name, value)


@pytest.fixture
def site(broker: Mosquitto) -> Iterator[Site]:
    pm = example_map(
        mqtt_port=broker.port,
        modbus_port=free_tcp_port(),
        bacnet_port=free_udp_port(),
        bacnet_local_port=free_udp_port(),
    )
    with MqttDevice(pm) as m, ModbusDevice(pm) as mb, BacnetDevice(pm) as bn:
        s = Site(pm, broker, m, mb, bn)
        s.sensors(room_01=21.0, room_02=21.0, lobby=21.0)
        yield s
