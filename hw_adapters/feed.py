"""The site feed: what a site's own systems know beside its sensors, as one JSON message.

A deployed policy needs more than sensor points: the site's clock, the weather service's
forecast, the tariff, and the venue's context (a hotel's bookings and consented stated
preferences, a store's anonymous counts and loyalty-app shoppers). The rig publishes
them once per site step, retained at QoS 1, on ``<topic_prefix>/feed``::

    {"schema": 1, "venue": "hotel", "site": "hotel-small-rig", "step": 12,
     "time": "2026-01-12T03:00:00.000000", "speed": 3600.0, "done": false,
     "forecast": {"t_out_1h_c": 4.1, "t_out_3h_c": 3.2, "t_out_6h_c": 2.0},
     "price_per_kwh": 0.24, "context": {...the venue's, see hw_adapters.venues...}}

``time`` is the site's local standard time and ``speed`` how fast it runs (1 on a real
site); the deploy side takes its clock from them, so a deployment accelerated against
the rig keeps the rig's time. On a real site an
integration of the property-management system would publish the same message. The
consent rule is applied where the message is built: non-consenting people's preferences
are never in it.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable
from datetime import datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

from hw_adapters.base import require
from hw_adapters.mqtt import configure_client
from hw_adapters.pointmap import MqttConfig
from hw_adapters.venues.base import to_iso
from twin.errors import HardwareError

if TYPE_CHECKING:
    from hw_adapters.venues.base import SiteBinding
    from twin.world import World

__all__ = ["FEED_SCHEMA", "FeedReader", "feed_message", "site_time"]

FEED_SCHEMA = 1


def site_time(world: World) -> datetime:
    """The site's local standard time now (the start of the step about to run)."""
    t64 = world.times[min(world.t, len(world.times) - 1)]
    out: datetime = t64.astype("datetime64[us]").astype(datetime)
    return out


def feed_message(
    binding: SiteBinding,
    world: World,
    site: str,
    step: int,
    done: bool = False,
    speed: float = 1.0,
) -> dict[str, Any]:
    """The feed of copy 0 of ``world`` now (its venue context built by ``binding``).

    ``speed`` is how many site seconds pass per wall second (a rig faster than real
    time says so; a real site publishes 1).
    """
    return {
        "schema": FEED_SCHEMA,
        "venue": binding.venue,
        "site": site,
        "step": step,
        "time": to_iso(site_time(world)),
        "speed": speed,
        "done": done,
        **binding.feed_site(world),
        "context": binding.feed_context(world),
    }


class FeedReader:
    """Keeps the latest feed message of a site (its own MQTT connection, no Last Will).

    Args:
        config: the site's ``[mqtt]`` section (broker, credentials, TLS, prefix).
        connect_timeout_s: how long to wait for the broker.

    Raises:
        HardwareError: the broker is unreachable or refuses the credentials.
    """

    def __init__(self, config: MqttConfig, connect_timeout_s: float = 5.0) -> None:
        mqtt = require("paho.mqtt.client", "paho-mqtt")
        self.topic = config.feed_topic
        self.bad_messages = 0
        self._where = f"mqtt broker {config.host}:{config.port}"
        self._lock = threading.Lock()
        self._latest: dict[str, Any] | None = None
        self._arrived = 0.0
        self._connected = threading.Event()
        self._refused: str | None = None
        self._closed = False
        client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2,
            client_id=f"twin-feed-{uuid.uuid4().hex[:12]}",
            protocol=mqtt.MQTTv311,
        )
        configure_client(client, config)
        client.reconnect_delay_set(min_delay=1, max_delay=2)
        client.on_connect = self._on_connect
        client.on_disconnect = lambda *a: self._connected.clear()
        client.on_message = self._on_message
        self._client = client
        try:
            client.connect(config.host, config.port, keepalive=config.keepalive_s)
        except OSError as exc:
            raise HardwareError(f"{self._where}: feed: cannot connect: {exc}") from None
        client.loop_start()
        deadline = time.monotonic() + connect_timeout_s
        while not self._connected.wait(0.02):
            if self._refused or time.monotonic() > deadline:
                self.close()
                why = self._refused or f"no CONNACK within {connect_timeout_s:g} s"
                raise HardwareError(f"{self._where}: feed: connection refused: {why}")

    def _on_connect(self, client: Any, userdata: Any, flags: Any, reason: Any, props: Any) -> None:
        if reason.is_failure:
            self._refused = str(reason)
            return
        client.subscribe(self.topic, qos=1)
        self._connected.set()

    def _on_message(self, client: Any, userdata: Any, msg: Any) -> None:
        try:
            body = json.loads(msg.payload.decode("utf-8"))
            if not isinstance(body, dict) or body.get("schema") != FEED_SCHEMA:
                raise ValueError("not a feed message of this schema")
        except (ValueError, UnicodeDecodeError):
            self.bad_messages += 1
            return
        with self._lock:
            self._latest, self._arrived = body, time.time()

    @property
    def connected(self) -> bool:
        """True while the broker connection is up."""
        return self._connected.is_set()

    def latest(self) -> tuple[dict[str, Any] | None, float]:
        """The latest message and its arrival (``time.time()``; 0 before the first)."""
        with self._lock:
            return self._latest, self._arrived

    def wait_for(
        self, predicate: Callable[[dict[str, Any]], bool], timeout: float
    ) -> dict[str, Any] | None:
        """The first message for which ``predicate`` holds (None after ``timeout`` s)."""
        deadline = time.monotonic() + timeout
        while True:
            msg, _ = self.latest()
            if msg is not None and predicate(msg):
                return msg
            if time.monotonic() > deadline:
                return None
            time.sleep(0.005)

    def close(self) -> None:
        """Disconnect (idempotent)."""
        if not self._closed:
            self._closed = True
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
        self.close()
