"""Write + read-back round trips of each protocol adapter against loopback endpoints.

``python -m benchmarks hw [--n 200]``: starts a Mosquitto broker, a pymodbus device and a
bacpypes3 device on free 127.0.0.1 ports, then times ``write`` followed by the read that
confirms the device holds the value (MQTT: until the retained state echo arrives),
``n`` times per protocol, and reports p50/p99 in milliseconds.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from benchmarks.common import machine, report


def _percentiles(samples: list[float]) -> tuple[float, float]:
    s = sorted(samples)
    return s[len(s) // 2] * 1e3, s[min(len(s) - 1, int(len(s) * 0.99))] * 1e3


def _time(n: int, once: Callable[[int], None]) -> list[float]:
    out = []
    for i in range(n):
        t0 = time.perf_counter()
        once(i)
        out.append(time.perf_counter() - t0)
    return out


def main(argv: list[str]) -> int:
    """Run the benchmark; prints a table and a JSON line."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks hw")
    parser.add_argument("--n", type=int, default=200, help="round trips per protocol")
    n = parser.parse_args(argv).n

    from hw_adapters.bacnet import BacnetAdapter
    from hw_adapters.modbus import ModbusAdapter
    from hw_adapters.mqtt import MqttAdapter
    from hw_adapters.testing.bacnet_device import BacnetDevice
    from hw_adapters.testing.modbus_device import ModbusDevice
    from hw_adapters.testing.mosquitto import Mosquitto
    from hw_adapters.testing.mqtt_device import MqttDevice
    from hw_adapters.testing.ports import free_tcp_port, free_udp_port
    from hw_adapters.testing.site import example_map

    results: dict[str, tuple[float, float]] = {}
    with tempfile.TemporaryDirectory() as tmp, Mosquitto(Path(tmp)) as broker:
        pm = example_map(
            mqtt_port=broker.port, modbus_port=free_tcp_port(),
            bacnet_port=free_udp_port(), bacnet_local_port=free_udp_port(),
        )  # fmt: skip
        assert pm.mqtt and pm.modbus and pm.bacnet
        with ModbusDevice(pm), ModbusAdapter(pm.modbus, pm.of_protocol("modbus")) as mb:
            p = pm.point("room_02.heat")
            results["modbus"] = _percentiles(
                _time(n, lambda i: (mb.write(p, 18 + i * 0.01), mb.read([p])) and None)
            )
        with BacnetDevice(pm), BacnetAdapter(pm.bacnet, pm.of_protocol("bacnet")) as bn:
            p = pm.point("room_01.heat")
            results["bacnet"] = _percentiles(
                _time(n, lambda i: (bn.write(p, 18 + i * 0.01), bn.read([p])) and None)
            )
        with MqttDevice(pm), MqttAdapter(pm.mqtt, pm.of_protocol("mqtt")) as mq:
            p = pm.point("lobby.heat")

            def mqtt_once(i: int) -> None:
                value = 18 + i * 0.01
                mq.write(p, value)
                while (r := mq.read([p]).get(p.name)) is None or abs(r.value - value) > 1e-9:
                    time.sleep(0)

            results["mqtt"] = _percentiles(_time(n, mqtt_once))
    rows = [(f"{k} write+read p50 / p99", f"{a:.2f} / {b:.2f} ms", f"n={n}, loopback")
            for k, (a, b) in results.items()]  # fmt: skip
    figures = {f"{k}_{q}_ms": round(v, 3) for k, (a, b) in results.items()
               for q, v in (("p50", a), ("p99", b))}  # fmt: skip
    report("protocol round trips", rows, {**figures, "n": n, "machine": machine()})
    return 0
