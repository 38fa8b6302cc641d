"""The device side of ``python -m benchmarks hw``'s 1 Hz MQTT test, in its own process.

``python -m benchmarks.mqtt_sink PORT USER PASSWORD_FILE CA PREFIX OUT``: subscribes to
every command topic under PREFIX at QoS 1 and records when each command arrived
(``time.time()``) and its value; on ``PREFIX/bench/stop/set`` it writes them as JSON to OUT
and exits. Printing ``ready`` once subscribed.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from pathlib import Path
from typing import Any


def main(argv: list[str]) -> int:
    import paho.mqtt.client as mqtt

    port, user, pw_file, ca, prefix, out = argv
    got: list[tuple[str, float, float]] = []
    done = threading.Event()
    ready = threading.Event()
    c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="bench-sink")
    c.username_pw_set(user, Path(pw_file).read_text().strip())
    c.tls_set(ca_certs=ca)
    c.max_inflight_messages_set(1000)

    def on_connect(cl: Any, u: Any, f: Any, reason: Any, p: Any) -> None:
        cl.subscribe([(f"{prefix}/+/+/set", 1)])

    def on_message(cl: Any, u: Any, msg: Any) -> None:
        if msg.topic == f"{prefix}/bench/stop/set":
            done.set()
            return
        got.append((msg.topic, time.time(), float(msg.payload)))

    c.on_connect = on_connect
    c.on_subscribe = lambda *a: ready.set()
    c.on_message = on_message
    c.connect("127.0.0.1", int(port), keepalive=10)
    c.loop_start()
    ready.wait(10)
    print("ready", flush=True)
    done.wait(600)
    c.loop_stop()
    Path(out).write_text(json.dumps(got))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
