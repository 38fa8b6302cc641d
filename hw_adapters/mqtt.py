"""MQTT adapter (paho-mqtt 2, ``CallbackAPIVersion.VERSION2``).

Commands go out at QoS 1 on each point's command topic and a write returns only when
the broker acknowledged it (PUBACK), else it raises :class:`HardwareError`; nothing is
written while the broker is unreachable. Device state arrives on retained state topics
and is cached with its arrival time, so ``read`` is instant and staleness is visible; a
sensor value replayed from the broker's retained store after a reconnection has no
known age and counts as stale until the sensor publishes live. (At the first connection
a retained value counts as fresh: a controller started next to a dead sensor learns it
only when ``stale_after_s`` passes without an update.)

Liveness: the client registers a Last Will ``offline`` (retained, QoS 1) on
``<topic_prefix>/status`` and publishes ``online`` on every (re)connect, with the
Home Assistant discovery configs (:mod:`hw_adapters.discovery`). If the controller dies
the broker publishes ``offline`` for it, and devices fall back to their own control. A
clean :meth:`MqttAdapter.close` publishes ``offline`` itself (a Will is only sent on
an unclean end). paho reconnects on its own; :attr:`MqttAdapter.on_reconnect`
callbacks run after each reconnection (on paho's thread: keep them short).

Payloads are plain numbers (integers for indices and JSON light fields), or, for points
with ``json_key``, a JSON object such as ``{"state": "ON", "brightness": 90}`` (the Home
Assistant JSON light schema, colour temperature in kelvin).
"""

from __future__ import annotations

import json
import math
import socket
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from hw_adapters.base import AdapterBase, Reading, require
from hw_adapters.pointmap import MqttConfig, Point
from twin.errors import HardwareError

__all__ = ["MqttAdapter", "configure_client", "decode_payload", "encode_payload"]

_INTEGER_KEYS = ("brightness", "color_temp")
#: QoS 1 messages in flight at once (paho's default is 20; the shipped broker allows 1000).
MAX_INFLIGHT = 1000
#: Socket send buffer (bytes) for a step's pipelined commands.
SEND_BUFFER = 1 << 20


def encode_payload(point: Point, raw: float) -> str:
    """The command payload carrying the raw value ``raw`` for ``point``."""
    key = point.mqtt.json_key if point.mqtt else None
    if point.is_enum or key in _INTEGER_KEYS:
        number: float | int = int(round(raw))
    else:
        number = float(format(raw, ".10g"))
    if key is None:
        return str(number)
    body: dict[str, Any] = {key: number}
    if key == "brightness":
        body = {"state": "ON" if number > 0 else "OFF", **body}
    return json.dumps(body)


def decode_payload(point: Point, payload: bytes) -> float | None:
    """The raw value in a state payload (None if this payload does not carry it)."""
    text = payload.decode("utf-8").strip()
    key = point.mqtt.json_key if point.mqtt else None
    if key is None:
        value = float(text)
    else:
        body = json.loads(text)
        if key == "brightness" and body.get("state") == "OFF":
            return 0.0
        if key not in body:
            return None
        value = float(body[key])
    if not math.isfinite(value):
        raise ValueError(f"non-finite value {text!r}")
    return value


def configure_client(client: Any, config: MqttConfig) -> None:
    """Credentials and TLS of the site's ``[mqtt]`` section on a paho client."""
    if config.username:
        client.username_pw_set(config.username, config.password())
    if config.ca_file:
        client.tls_set(
            ca_certs=config.ca_file, certfile=config.client_cert, keyfile=config.client_key
        )


class MqttAdapter(AdapterBase):
    """Commands and reads the MQTT points of a site through one broker connection.

    Args:
        config: the site's ``[mqtt]`` section (broker, credentials, TLS, prefixes).
        points: the MQTT points this adapter serves.
        discovery: ``{topic: config}`` published retained on every connect.
        client_id: MQTT client id (default: unique per adapter).
        connect_timeout_s: how long to wait for the broker's CONNACK.
        publish_timeout_s: how long a write waits for the broker's PUBACK.

    Raises:
        HardwareError: the broker is unreachable, refuses the credentials or the TLS
            handshake fails.
    """

    protocol = "mqtt"

    def __init__(
        self,
        config: MqttConfig,
        points: Sequence[Point],
        *,
        discovery: Mapping[str, Mapping[str, Any]] | None = None,
        client_id: str | None = None,
        connect_timeout_s: float = 5.0,
        publish_timeout_s: float = 2.0,
    ) -> None:
        mqtt = require("paho.mqtt.client", "paho-mqtt")
        self.config = config
        self.points = tuple(points)
        self.discovery = dict(discovery or {})
        self.publish_timeout_s = publish_timeout_s
        self.on_reconnect: list[Callable[[], None]] = []
        self.reconnects = 0
        self.bad_payloads = 0
        self.sent_at: list[tuple[str, float]] = []
        self._where = f"mqtt broker {config.host}:{config.port}"
        self._readings: dict[str, Reading] = {}
        self._by_topic: dict[str, list[Point]] = defaultdict(list)
        for p in self.points:
            if p.mqtt is not None and p.mqtt.state_topic:
                self._by_topic[p.mqtt.state_topic].append(p)
        self._lock = threading.Lock()
        self._connected = threading.Event()
        self._refused: str | None = None
        self._subscribed = threading.Event()
        self._subscribe_mid = -1
        self._ever_connected = False
        self._closed = False

        client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2,
            client_id=client_id or config.client_id or f"twin-{uuid.uuid4().hex[:12]}",
            protocol=mqtt.MQTTv311,
            clean_session=True,
        )
        configure_client(client, config)
        client.will_set(config.availability_topic, "offline", qos=1, retain=True)
        client.max_inflight_messages_set(MAX_INFLIGHT)  # write_many pipelines its commands
        client.reconnect_delay_set(min_delay=1, max_delay=2)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        client.on_subscribe = self._on_subscribe
        self._client = client
        try:
            client.connect(config.host, config.port, keepalive=config.keepalive_s)
        except OSError as exc:  # refused, unreachable, TLS handshake (ssl.SSLError)
            raise HardwareError(f"{self._where}: cannot connect: {exc}") from None
        client.loop_start()
        deadline = time.monotonic() + connect_timeout_s
        while not self._connected.wait(0.02):
            if self._refused or time.monotonic() > deadline:
                reason = self._refused or f"no CONNACK within {connect_timeout_s:g} s"
                self._stop_client()
                raise HardwareError(
                    f"{self._where}: connection refused: {reason}; check the username, "
                    "password, CA and client certificate in the [mqtt] section"
                )
        # Retained states arrive right after the SUBACK; give them a moment so the first
        # read (and the controller's rate-limit memory) sees what the devices hold.
        if self._subscribed.wait(max(deadline - time.monotonic(), 0.1)):
            time.sleep(0.05)

    # -- paho callbacks (run on paho's network thread) -----------------------------------

    def _on_connect(self, client: Any, userdata: Any, flags: Any, reason: Any, props: Any) -> None:
        if reason.is_failure:
            self._refused = str(reason)
            return
        sock = client.socket()
        if sock is not None:  # commands are tiny: do not let Nagle hold them back ~40 ms
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            # A step's pipelined commands must fit the send buffer, or the rest waits for
            # paho's network thread (measured: 250 commands took 120 ms instead of 20).
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SEND_BUFFER)
        if self._by_topic:
            _, mid = client.subscribe([(topic, 1) for topic in self._by_topic])
            self._subscribe_mid = mid
        else:
            self._subscribed.set()
        client.publish(self.config.availability_topic, "online", qos=1, retain=True)
        for topic, body in self.discovery.items():
            client.publish(topic, json.dumps(body, sort_keys=True), qos=1, retain=True)
        again = self._ever_connected
        self._ever_connected = True
        self._connected.set()
        if again:
            self.reconnects += 1
            for hook in list(self.on_reconnect):
                hook()

    def _on_subscribe(self, client: Any, userdata: Any, mid: int, codes: Any, props: Any) -> None:
        if mid == self._subscribe_mid:
            self._subscribed.set()  # retained states follow the SUBACK

    def _on_disconnect(
        self, client: Any, userdata: Any, flags: Any, reason: Any, props: Any
    ) -> None:
        self._connected.clear()

    def _on_message(self, client: Any, userdata: Any, msg: Any) -> None:
        now = time.time()
        # A retained message comes from the broker's store when we subscribe. After a
        # reconnection (the broker restarted, or we lost it) its age is unknown: a
        # sensor's is stamped as old as can be, stale until it publishes live. A
        # writable point's state is what its device holds: current.
        stored = bool(getattr(msg, "retain", False)) and self.reconnects > 0
        for p in self._by_topic.get(msg.topic, ()):
            try:
                raw = decode_payload(p, msg.payload)
            except (ValueError, UnicodeDecodeError, AttributeError):
                self.bad_payloads += 1
                continue
            if raw is not None:
                stamp = 0.0 if stored and not p.writable else now
                with self._lock:
                    self._readings[p.name] = Reading(p.from_raw(raw), stamp)

    # -- Adapter -------------------------------------------------------------------------

    @property
    def connected(self) -> bool:
        """True while the broker connection is up."""
        return self._connected.is_set()

    def wait_connected(self, timeout: float) -> bool:
        """Block until (re)connected; False after ``timeout`` s."""
        return self._connected.wait(timeout)

    def read(self, points: Sequence[Point]) -> dict[str, Reading]:
        """The last state received for each point (absent until its device published)."""
        with self._lock:
            return {p.name: self._readings[p.name] for p in points if p.name in self._readings}

    def publish(self, topic: str, payload: str, *, retain: bool = False) -> None:
        """Publish at QoS 1 and wait for the broker's acknowledgement.

        Raises:
            HardwareError: not connected, or no PUBACK within ``publish_timeout_s``.
        """
        if self._closed:
            raise HardwareError(f"{self._where}: publish to {topic!r}: adapter is closed")
        if not self._connected.is_set():
            raise HardwareError(f"{self._where}: publish to {topic!r}: broker not connected")
        info = self._client.publish(topic, payload, qos=1, retain=retain)
        try:
            info.wait_for_publish(self.publish_timeout_s)
        except (RuntimeError, ValueError) as exc:
            raise HardwareError(f"{self._where}: publish to {topic!r}: {exc}") from None
        if not info.is_published():
            raise HardwareError(
                f"{self._where}: publish to {topic!r}: no acknowledgement within "
                f"{self.publish_timeout_s:g} s (paho may still deliver it after reconnecting)"
            )

    def write(self, point: Point, value: float) -> None:
        """Publish ``value`` (twin units) on the point's command topic at QoS 1."""
        if point.mqtt is None or not point.mqtt.command_topic:
            raise HardwareError(f"point {point.name!r} has no mqtt command_topic")
        self.publish(point.mqtt.command_topic, encode_payload(point, point.to_raw(value)))

    def write_many(self, items: Sequence[tuple[Point, float]]) -> dict[str, str | None]:
        """Publish every ``(point, value)`` at QoS 1, then wait for all the PUBACKs.

        Pipelined, so a control step of a thousand points costs about one round trip
        plus the sending, not a thousand round trips. Returns point name -> ``None``
        when the broker acknowledged it, else the reason it did not;
        :attr:`sent_at` holds (topic, ``time.time()``) of each message as it left.
        """
        out: dict[str, str | None] = {}
        pending = []
        self.sent_at = []
        for point, value in items:
            if point.mqtt is None or not point.mqtt.command_topic:
                out[point.name] = f"point {point.name!r} has no mqtt command_topic"
                continue
            if self._closed or not self._connected.is_set():
                out[point.name] = f"{self._where}: broker not connected"
                continue
            payload = encode_payload(point, point.to_raw(value))
            info = self._client.publish(point.mqtt.command_topic, payload, qos=1)
            self.sent_at.append((point.mqtt.command_topic, time.time()))
            pending.append((point.name, info))
        deadline = time.monotonic() + self.publish_timeout_s
        for name, info in pending:
            try:
                info.wait_for_publish(max(deadline - time.monotonic(), 0.001))
            except (RuntimeError, ValueError) as exc:
                out[name] = f"{self._where}: {exc}"
                continue
            late = f"{self._where}: no acknowledgement within {self.publish_timeout_s:g} s"
            out[name] = None if info.is_published() else late
        return out

    def relinquish(self, point: Point) -> None:
        """MQTT has no priority array: publish the point's fail-safe value."""
        if point.fail_safe is None:
            raise HardwareError(f"point {point.name!r} has no fail_safe to fall back to")
        self.write(point, point.fail_safe)

    def _stop_client(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()

    def close(self) -> None:
        """Publish ``offline`` (a clean end sends no Will), disconnect (idempotent)."""
        if self._closed:
            return
        try:
            if self._connected.is_set():
                self.publish(self.config.availability_topic, "offline", retain=True)
        except HardwareError:
            pass  # the broker is gone: it publishes the Will instead
        finally:
            self._closed = True
            self._stop_client()
