"""MQTT devices for tests: the site's thermostats, lights, music and signage on a broker.

One paho client plays every MQTT device of a point map. It applies each command it
receives and confirms it on the point's retained state topic (JSON lights keep one
merged state object), publishes sensor readings on request, and watches the
controller's availability topic: on ``offline`` (the controller's Last Will, or its
clean stop) it returns every writable point to its fail-safe value, as a device that
falls back to its own control would.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self

from hw_adapters.mqtt import decode_payload, encode_payload
from hw_adapters.pointmap import Point, PointMap
from hw_adapters.testing.mosquitto import TlsFiles

__all__ = ["MqttCommand", "MqttDevice", "MqttMessage", "MqttRecorder"]


@dataclass(frozen=True, slots=True)
class MqttCommand:
    """A command the devices received: when, for which point, value (twin units), payload."""

    time: float
    point: str
    value: float
    payload: str


class MqttDevice:
    """All MQTT devices of ``point_map`` on its broker, until :meth:`stop`.

    Args:
        point_map: the site (its ``[mqtt]`` section names the broker and prefix).
        username, password: broker credentials, if it asks.
        tls: CA and client certificate for a TLS broker.
    """

    def __init__(
        self,
        point_map: PointMap,
        *,
        username: str | None = None,
        password: str | None = None,
        tls: TlsFiles | None = None,
    ) -> None:
        import paho.mqtt.client as mqtt

        if point_map.mqtt is None:
            raise ValueError(f"point map {point_map.name!r} has no [mqtt] section")
        self.config = point_map.mqtt
        self.points = {p.name: p for p in point_map.of_protocol("mqtt")}
        self.commands: list[MqttCommand] = []
        self.availability: list[str] = []
        self.fallbacks: list[float] = []
        self._state: dict[str, float] = {}
        self._json_state: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()
        self._connected = threading.Event()
        client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2, client_id=f"twin-test-devices-{id(self):x}"
        )
        if username:
            client.username_pw_set(username, password)
        if tls is not None:
            client.tls_set(
                ca_certs=str(tls.ca), certfile=str(tls.client_cert), keyfile=str(tls.client_key)
            )
        client.on_connect = self._on_connect
        client.on_message = self._on_message
        client.reconnect_delay_set(min_delay=1, max_delay=2)
        self._client = client
        client.connect(self.config.host, self.config.port, keepalive=5)
        client.loop_start()
        if not self._connected.wait(10):
            self.stop()
            raise RuntimeError(f"test devices could not connect to port {self.config.port}")
        self._stopped = False

    # -- device behaviour ---------------------------------------------------------------

    def _on_connect(self, client: Any, userdata: Any, flags: Any, reason: Any, props: Any) -> None:
        if reason.is_failure:
            return
        sock = client.socket()
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        client.subscribe(self.config.availability_topic, qos=1)
        for p in self.points.values():
            if p.writable and p.mqtt is not None and p.mqtt.command_topic:
                client.subscribe(p.mqtt.command_topic, qos=1)
        if not self._connected.is_set():  # first connection: publish the building's values
            for p in self.points.values():
                if p.writable and p.fail_safe is not None:
                    self._apply(p, p.fail_safe)
        self._connected.set()

    def _on_message(self, client: Any, userdata: Any, msg: Any) -> None:
        payload = msg.payload.decode("utf-8", errors="replace")
        now = time.time()
        if msg.topic == self.config.availability_topic:
            with self._lock:
                self.availability.append(payload)
            if payload == "offline":
                for p in self.points.values():
                    if p.writable and p.fail_safe is not None:
                        self._apply(p, p.fail_safe)
                with self._lock:
                    self.fallbacks.append(now)
            return
        for p in self.points.values():
            if p.mqtt is None or p.mqtt.command_topic != msg.topic:
                continue
            raw = decode_payload(p, msg.payload)
            if raw is None:
                continue
            value = p.from_raw(raw)
            with self._lock:
                self.commands.append(MqttCommand(now, p.name, value, payload))
            self._apply(p, value)

    def _apply(self, p: Point, value: float) -> None:
        """Take ``value`` and confirm it, retained, on the point's state topic."""
        with self._lock:
            self._state[p.name] = value
        if p.mqtt is None or not p.mqtt.state_topic:
            return
        payload = encode_payload(p, p.to_raw(value))
        if p.mqtt.json_key:
            with self._lock:
                merged = self._json_state.setdefault(p.mqtt.state_topic, {"state": "ON"})
                merged.update(json.loads(payload))
                if p.mqtt.json_key == "color_temp":
                    merged["color_mode"] = "color_temp"
                payload = json.dumps(merged)
        self._client.publish(p.mqtt.state_topic, payload, qos=1, retain=True)

    # -- test-side access ---------------------------------------------------------------

    def value(self, name: str) -> float | None:
        """The value the device holds for ``name`` (twin units), None if never set."""
        with self._lock:
            return self._state.get(name)

    def set_value(self, name: str, value: float) -> None:
        """Publish a reading (a sensor) or the site's own change of a point."""
        self._apply(self.points[name], value)

    def commands_to(self, name: str) -> list[float]:
        """Values commanded to ``name``, in order of arrival."""
        with self._lock:
            return [c.value for c in self.commands if c.point == name]

    def wait_for(self, predicate: Callable[[], bool], timeout: float = 5.0) -> bool:
        """Poll ``predicate`` until true (False after ``timeout`` s)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return True
            time.sleep(0.01)
        return predicate()

    def stop(self) -> None:
        """Disconnect (idempotent)."""
        if getattr(self, "_stopped", False):
            return
        self._stopped = True
        self._client.disconnect()
        self._client.loop_stop()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


@dataclass(frozen=True, slots=True)
class MqttMessage:
    """A message seen by :class:`MqttRecorder`."""

    topic: str
    payload: str
    retain: bool


class MqttRecorder:
    """Subscribe to ``topics`` (default: everything) and keep every message, for asserts."""

    def __init__(self, host: str, port: int, topics: tuple[str, ...] = ("#",)) -> None:
        import paho.mqtt.client as mqtt

        self.messages: list[MqttMessage] = []
        self._lock = threading.Lock()
        self._subscribed = threading.Event()
        client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"twin-rec-{id(self):x}")

        def on_connect(c: Any, u: Any, f: Any, reason: Any, p: Any) -> None:
            c.subscribe([(t, 1) for t in topics])

        def on_subscribe(c: Any, u: Any, mid: Any, codes: Any, p: Any) -> None:
            self._subscribed.set()

        def on_message(c: Any, u: Any, msg: Any) -> None:
            text = msg.payload.decode("utf-8", errors="replace")
            with self._lock:
                self.messages.append(MqttMessage(msg.topic, text, bool(msg.retain)))

        client.on_connect, client.on_subscribe, client.on_message = (
            on_connect, on_subscribe, on_message,
        )  # fmt: skip
        self._client = client
        client.connect(host, port, keepalive=5)
        client.loop_start()
        if not self._subscribed.wait(10):
            self.stop()
            raise RuntimeError(f"recorder could not subscribe on port {port}")

    def on(self, topic: str) -> list[str]:
        """Payloads received on ``topic``, in order."""
        with self._lock:
            return [m.payload for m in self.messages if m.topic == topic]

    def all(self) -> list[MqttMessage]:
        """Every message so far."""
        with self._lock:
            return list(self.messages)

    def stop(self) -> None:
        """Disconnect (idempotent)."""
        self._client.disconnect()
        self._client.loop_stop()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
