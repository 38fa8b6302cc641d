"""Write + read-back round trips of each protocol adapter, and MQTT points at 1 Hz.

``python -m benchmarks hw [--n 200] [--seconds 5]``: starts a Mosquitto broker, a
pymodbus device and a bacpypes3 device on free 127.0.0.1 ports, then times ``write``
followed by the read that confirms the device holds the value (MQTT: until the retained
state echo arrives), ``n`` times per protocol, and reports p50/p99 in milliseconds.

Then ``mqtt_points_at_1hz``: how many points one deploy process (the real controller:
envelope, audit log, MQTT adapter) drives at 1 Hz over the shipped broker configuration
(TLS, passwords, ACL), with a command latency p99 under 50 ms and no lost QoS 1
message. A command's latency is from the moment the controller sent it (after the
envelope) until the device side, a separate process subscribed to every command topic,
received it; a size passes when every command of ``seconds`` steps arrived, that p99 is
under 50 ms and each step (envelope, writes, audit) finished within its second. The
p99 from the step's decision to the arrival of its commands is reported beside it. The
largest passing size is found by doubling, then bisection.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

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


def _one_hz(folder: Path, n: int, seconds: int) -> dict[str, float]:
    """Drive ``n`` MQTT points at 1 Hz for ``seconds`` steps; latency and losses."""
    import json
    import shutil
    import subprocess
    import sys

    from hw_adapters.broker import SiteBroker
    from hw_adapters.controller import Controller
    from hw_adapters.pointmap import PointMap

    prefix = "twin/bench"
    with SiteBroker(folder / f"broker-{n}", prefix) as broker:
        assert broker.tls is not None
        user = broker.names.controller
        points = [
            {"name": f"z{i}.light", "zone": f"z{i}", "quantity": "light_lux", "protocol": "mqtt",
             "mqtt": {"state_topic": f"{prefix}/z{i}/light",
                      "command_topic": f"{prefix}/z{i}/light/set"},
             "unit": "lx", "writable": True, "min": 0.0, "max": 1000.0, "fail_safe": 0.0}
            for i in range(n)
        ]  # fmt: skip
        pm = PointMap.from_dict({
            "name": "bench", "points": points,
            "mqtt": {"host": "127.0.0.1", "port": broker.port, "username": user,
                     "password_file": str(broker.password_file(user)),
                     "ca_file": str(broker.tls.ca), "topic_prefix": prefix},
        })  # fmt: skip
        out = folder / f"sink-{n}.txt"
        total = n * seconds + 1  # the commands and the stop message
        sub = shutil.which("mosquitto_sub")
        if sub is not None:  # the C client: the device side must not be the bottleneck
            site_pw = broker.password_file(broker.names.site).read_text().strip()
            cmd = [sub, "-h", "127.0.0.1", "-p", str(broker.port), "-u", broker.names.site,
                   "-P", site_pw, "--cafile", str(broker.tls.ca), "-q", "1",
                   "-t", f"{prefix}/+/+/set", "-C", str(total), "-W", str(seconds + 60),
                   "-F", "%U %t %p"]  # fmt: skip
        else:
            cmd = [sys.executable, "-m", "benchmarks.mqtt_sink", str(broker.port),
                   broker.names.site, str(broker.password_file(broker.names.site)),
                   str(broker.tls.ca), prefix, str(out)]  # fmt: skip
        with out.open("wb") as sink_out:
            sink = subprocess.Popen(cmd, stdout=sink_out if sub else subprocess.PIPE)
            try:
                if sub is None:
                    assert sink.stdout is not None and sink.stdout.readline().strip() == b"ready"
                else:
                    time.sleep(1.0)  # mosquitto_sub subscribes within milliseconds
                ctl = Controller.connect(pm, folder / f"audit-{n}.jsonl", mode="act")
                decided, durations = [], []
                sent: dict[tuple[str, float], float] = {}
                adapter: Any = ctl.adapters["mqtt"]
                start = time.time() + 0.5
                try:
                    for k in range(seconds):
                        time.sleep(max(0.0, start + k - time.time()))
                        t0 = time.time()
                        decided.append(t0)
                        recs = ctl.apply({p["name"]: float(k + 1) for p in points})
                        durations.append(time.time() - t0)
                        assert all(r.decision == "accepted" for r in recs), recs[0]
                        sent.update({(topic, float(k + 1)): t for topic, t in adapter.sent_at})
                    adapter.publish(f"{prefix}/bench/stop/set", "0")
                finally:
                    ctl.close()
                sink.wait(seconds + 90)
            finally:
                if sink.poll() is None:
                    sink.kill()
                    sink.wait()
        if sub is not None:
            got = []
            for line in out.read_text().splitlines():
                stamp, topic, payload = line.split(" ", 2)
                got.append((topic, float(stamp), float(payload)))
        else:
            got = json.loads(out.read_text())
    ours = [(topic, t, v) for topic, t, v in got if 1 <= v <= seconds]
    latency = sorted(t - sent[(topic, v)] for topic, t, v in ours) or [float("inf")]
    whole = sorted(t - decided[int(v) - 1] for _, t, v in ours) or [float("inf")]
    unique = {(topic, v) for topic, _, v in ours}

    def pct(s: list[float], q: float) -> float:
        return s[min(len(s) - 1, int(len(s) * q))] * 1e3

    return {
        "p50_ms": pct(latency, 0.5), "p99_ms": pct(latency, 0.99),
        "step_p99_ms": pct(whole, 0.99), "lost": float(n * seconds - len(unique)),
        "step_max_s": max(durations),
    }  # fmt: skip


def _passes(r: dict[str, float]) -> bool:
    return r["p99_ms"] < 50.0 and r["lost"] == 0 and r["step_max_s"] < 1.0


def points_at_1hz(folder: Path, seconds: int) -> tuple[int, dict[int, dict[str, float]]]:
    """The largest number of points passing :func:`_passes` (doubling, then bisection)."""
    trials: dict[int, dict[str, float]] = {}
    n, best, worst = 125, 0, 0
    while n <= 16000:
        trials[n] = _one_hz(folder, n, seconds)
        if not _passes(trials[n]):
            worst = n
            break
        best, n = n, n * 2
    while worst and worst - best > max(50, best // 10):
        mid = (best + worst) // 2
        trials[mid] = _one_hz(folder, mid, seconds)
        best, worst = (mid, worst) if _passes(trials[mid]) else (best, mid)
    return best, trials


def main(argv: list[str]) -> int:
    """Run the benchmark; prints a table and a JSON line."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks hw")
    parser.add_argument("--n", type=int, default=200, help="round trips per protocol")
    parser.add_argument("--seconds", type=int, default=3, help="1 Hz steps per size tried")
    args = parser.parse_args(argv)
    n = args.n

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
    figures: dict[str, Any] = {f"{k}_{q}_ms": round(v, 3) for k, (a, b) in results.items()
                               for q, v in (("p50", a), ("p99", b))}  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        best, trials = points_at_1hz(Path(tmp), args.seconds)
    for size, r in sorted(trials.items()):
        rows.append((
            f"mqtt {size} points at 1 Hz", f"p99 {r['p99_ms']:.1f} ms",
            f"p50 {r['p50_ms']:.1f} ms, decision-to-device p99 {r['step_p99_ms']:.0f} ms, "
            f"lost {r['lost']:.0f}, slowest step {r['step_max_s']:.2f} s, "
            f"{'pass' if _passes(r) else 'fail'}",
        ))  # fmt: skip
    figures["mqtt_points_at_1hz"] = best
    figures["mqtt_1hz_trials"] = {str(k): {q: round(v, 3) for q, v in r.items()}
                                  for k, r in sorted(trials.items())}  # fmt: skip
    report("protocol round trips; MQTT points at 1 Hz (TLS broker)", rows,
           {**figures, "n": n, "machine": machine()})  # fmt: skip
    return 0
