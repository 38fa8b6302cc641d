"""The rig's MQTT devices: the test devices plus remote/local control and lost commands.

:class:`~hw_adapters.testing.mqtt_device.MqttDevice` plays thermostats, lights, music
and signage that confirm each command on their state topic and fall back to their
fail-safe values when the controller goes ``offline``. On the rig they also decide
whether they follow the controller at all: a point is under *remote* control while the
devices are connected, the controller's availability is ``online`` and it has commanded
that point since it came online (VOLTTRON's pattern: remote set-points only while the
supervisor is alive and engaged); otherwise the building's own control holds it. Each
command may be lost before the device applies it (the reality gap's drops), and after a
reconnection the actuators publish their states again (the broker may have lost its
retained messages); sensors publish when they next read.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from hw_adapters.pointmap import PointMap
from hw_adapters.testing.mosquitto import TlsFiles
from hw_adapters.testing.mqtt_device import MqttDevice

__all__ = ["RigMqttDevices"]


class RigMqttDevices(MqttDevice):
    """All MQTT devices of a rig's site (see the module docstring).

    Args:
        point_map: the site.
        username, password: the site's broker credentials.
        tls: the broker's CA (and a client certificate, presented if asked for).
        drop: called for each command received; True loses it.
    """

    def __init__(
        self,
        point_map: PointMap,
        *,
        username: str,
        password: str,
        tls: TlsFiles,
        drop: Callable[[], bool] = lambda: False,
    ) -> None:
        self._drop = drop
        self._online_since: float | None = None
        self._commanded: dict[str, float] = {}
        self._ever = False
        self.lost: list[tuple[float, str]] = []
        self._by_command = {
            p.mqtt.command_topic: [q for q in point_map.of_protocol("mqtt")
                                   if q.mqtt and q.mqtt.command_topic == p.mqtt.command_topic]
            for p in point_map.of_protocol("mqtt") if p.writable and p.mqtt
        }  # fmt: skip
        super().__init__(point_map, username=username, password=password, tls=tls)

    def _on_connect(self, client: Any, userdata: Any, flags: Any, reason: Any, props: Any) -> None:
        again = self._ever
        super()._on_connect(client, userdata, flags, reason, props)
        if reason.is_failure:
            return
        self._ever = True
        if again:  # the broker may have restarted without the actuators' retained states
            with self._lock:
                held = {k: v for k, v in self._state.items() if self.points[k].writable}
            for name, value in held.items():
                self._apply(self.points[name], value)

    def _on_message(self, client: Any, userdata: Any, msg: Any) -> None:
        now = time.time()
        if msg.topic == self.config.availability_topic:
            online = msg.payload == b"online"
            with self._lock:
                self._online_since = now if online else None
        elif msg.topic in self._by_command:
            if self._drop():
                with self._lock:
                    self.lost.append((now, msg.topic))
                return
            with self._lock:
                for p in self._by_command[msg.topic]:
                    self._commanded[p.name] = now
        super()._on_message(client, userdata, msg)

    @property
    def connected(self) -> bool:
        """True while the devices' broker connection is up."""
        return bool(self._client.is_connected())

    @property
    def controller_online(self) -> bool:
        """True while the controller's availability is ``online``."""
        with self._lock:
            return self._online_since is not None

    def remote(self, name: str) -> bool:
        """Whether point ``name`` follows the controller now."""
        with self._lock:
            since = self._online_since
            last = self._commanded.get(name)
        return self.connected and since is not None and last is not None and last >= since

    def publish(self, topic: str, payload: str, *, retain: bool = False) -> None:
        """Publish a site message (the feed) at QoS 1."""
        self._client.publish(topic, payload, qos=1, retain=retain)
