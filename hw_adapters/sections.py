"""The parts of a point map: connection sections of a site and the address of a point.

Plain validated data, split from :mod:`hw_adapters.pointmap` (which re-exports all of it)
to keep each module readable: here is *how to reach* the site's devices; there is
*what each point means* and how the map is checked as a whole.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from twin.errors import PointMapError

__all__ = [
    "BacnetAddress",
    "BacnetConfig",
    "EnvelopeConfig",
    "ModbusAddress",
    "ModbusConfig",
    "MqttAddress",
    "MqttConfig",
    "PointMapModel",
]

Protocol = Literal["mqtt", "modbus", "bacnet"]

Key = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_\-]*$", max_length=64)]
Topic = Annotated[str, Field(pattern=r"^[^#+\s]+$", max_length=200)]
Port = Annotated[int, Field(ge=1, le=65535)]
PosFloat = Annotated[float, Field(gt=0)]


class PointMapModel(BaseModel):
    """Base of every point-map section: frozen, strict, finite numbers, no unknown keys."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True, allow_inf_nan=False)


# --------------------------------------------------------------------------- site sections


class MqttConfig(PointMapModel):
    """How to reach the site's MQTT broker, and where this controller publishes."""

    host: str = "127.0.0.1"
    port: Port = 1883
    username: str | None = None
    password_file: str | None = None  # a file holding the password (first line)
    password_env: str | None = None  # or the name of an environment variable
    ca_file: str | None = None  # TLS: the CA that signed the broker's certificate
    client_cert: str | None = None  # TLS client certificate and key (if the broker asks)
    client_key: str | None = None
    topic_prefix: Topic = "twin"  # availability lives at <topic_prefix>/status
    discovery_prefix: Topic = "homeassistant"
    keepalive_s: Annotated[int, Field(ge=1, le=3600)] = 10
    client_id: str | None = None

    @model_validator(mode="after")
    def _check(self) -> MqttConfig:
        if self.password_file and self.password_env:
            raise ValueError("give password_file or password_env, not both")
        if (self.password_file or self.password_env) and not self.username:
            raise ValueError("a password needs a username")
        if bool(self.client_cert) != bool(self.client_key):
            raise ValueError("client_cert and client_key go together")
        if self.client_cert and not self.ca_file:
            raise ValueError("a client certificate needs ca_file (TLS)")
        return self

    def password(self) -> str | None:
        """The password from ``password_file`` or ``password_env`` (never stored in the map).

        Raises:
            PointMapError: the file or variable is missing.
        """
        if self.password_file:
            path = Path(self.password_file)
            if not path.is_file():
                raise PointMapError(f"mqtt.password_file = {self.password_file!r}: no such file")
            return path.read_text(encoding="utf-8").splitlines()[0].strip()
        if self.password_env:
            value = os.environ.get(self.password_env)
            if value is None:
                raise PointMapError(
                    f"mqtt.password_env = {self.password_env!r}: the variable is not set"
                )
            return value
        return None

    @property
    def availability_topic(self) -> str:
        """Retained ``online``/``offline`` (the Last Will) of this controller."""
        return f"{self.topic_prefix}/status"

    @property
    def feed_topic(self) -> str:
        """Retained JSON of the site's own systems (clock, forecast, tariff, venue context)."""
        return f"{self.topic_prefix}/feed"


class ModbusConfig(PointMapModel):
    """How to reach a Modbus TCP device, and its heartbeat register."""

    host: str = "127.0.0.1"
    port: Port = 502
    unit_id: Annotated[int, Field(ge=0, le=255)] = 1
    # A holding register the controller increments every heartbeat_interval_s; the device
    # falls back to its own control when it stops changing for heartbeat_timeout_s.
    heartbeat_register: Annotated[int, Field(ge=0, le=65535)] | None = None
    heartbeat_interval_s: PosFloat = 2.0
    heartbeat_timeout_s: PosFloat = 10.0
    timeout_s: PosFloat = 1.0
    retries: Annotated[int, Field(ge=0, le=5)] = 1

    @model_validator(mode="after")
    def _check(self) -> ModbusConfig:
        if self.heartbeat_timeout_s <= 2 * self.heartbeat_interval_s:
            raise ValueError(
                f"heartbeat_timeout_s = {self.heartbeat_timeout_s} must exceed twice "
                f"heartbeat_interval_s = {self.heartbeat_interval_s} (one late beat is no failure)"
            )
        return self


class BacnetConfig(PointMapModel):
    """The BACnet/IP device to command and this controller's own BACnet identity."""

    device_address: str = "127.0.0.1:47808"  # host:port of the device
    device_instance: Annotated[int, Field(ge=0, le=4194302)] = 1001
    local_address: str = "127.0.0.1/8:47809"  # our address/prefix:port (a different port)
    local_instance: Annotated[int, Field(ge=0, le=4194302)] = 599
    # Analog-value the controller increments; the device relinquishes the controller's
    # priorities when it stops changing (BACnet has no lease on a priority slot).
    heartbeat_instance: Annotated[int, Field(ge=0, le=4194302)] | None = None
    heartbeat_interval_s: PosFloat = 2.0
    heartbeat_timeout_s: PosFloat = 10.0
    override_priority: Annotated[int, Field(ge=3, le=15)] = 8  # manual operator
    timeout_s: PosFloat = 2.0
    retries: Annotated[int, Field(ge=0, le=5)] = 1

    @field_validator("device_address")
    @classmethod
    def _host_port(cls, v: str) -> str:
        if not re.fullmatch(r"[\w.\-]+:\d{1,5}", v):
            raise ValueError(f"{v!r} is not host:port")
        return v


class EnvelopeConfig(PointMapModel):
    """Site-wide envelope settings that do not belong to one point."""

    # Minimum cooling - heating set-point difference per zone (K); per-zone overrides.
    min_deadband_k: Annotated[float, Field(ge=0)] = 1.0
    zone_deadband_k: dict[Key, Annotated[float, Field(ge=0)]] = Field(
        default_factory=dict, strict=False
    )

    def deadband(self, zone: str) -> float:
        """The minimum deadband of ``zone`` (K)."""
        return self.zone_deadband_k.get(zone, self.min_deadband_k)


# --------------------------------------------------------------------------- addresses


class MqttAddress(PointMapModel):
    """Topics of one MQTT point; ``json_key`` picks a field of a JSON payload (lights)."""

    state_topic: Topic | None = None
    command_topic: Topic | None = None
    json_key: Key | None = None


class ModbusAddress(PointMapModel):
    """Where a Modbus point lives and how its registers encode the raw value."""

    register_type: Literal["holding", "input", "coil"]
    address: Annotated[int, Field(ge=0, le=65535)]
    data_type: Literal["int16", "uint16", "int32", "float32"] = "int16"
    word_order: Literal["big", "little"] = "big"

    @property
    def width(self) -> int:
        """Registers the value occupies."""
        return 2 if self.data_type in ("int32", "float32") else 1


class BacnetAddress(PointMapModel):
    """A BACnet object whose ``present-value`` is the point."""

    object_type: Literal["analog-value", "analog-output", "analog-input"]
    instance: Annotated[int, Field(ge=0, le=4194302)]

    @property
    def object_id(self) -> str:
        """``"analog-value,3"``, as bacpypes3 parses it."""
        return f"{self.object_type},{self.instance}"
