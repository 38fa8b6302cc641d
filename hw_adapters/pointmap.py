"""Point maps: which device point carries which twin quantity, and its safe range.

A point map is a TOML file per site, validated into frozen pydantic models the way
scenarios are (:mod:`twin.scenario`). It is the only place that knows protocol
addresses; the safety envelope reads its bounds, rate limits and fail-safe values from
here, and the adapters read its addresses. Every problem is reported, one line each,
naming the file, the point and the field, before anything touches a device::

    site.toml: points[3] (room_01.heat).fail_safe = 30.0: outside [min, max] = [16.0, 26.0]

Values are in the twin's units (:data:`twin.interface.COMMAND_QUANTITIES`); the device
sees ``raw = value * scale + offset``.

>>> pm = load_point_map("hw_adapters/examples/hotel_small_points.toml")
>>> pm.point("room_01.heat").priority, pm.zones()[:2]
(12, ('lobby', 'room_01'))
>>> pm.coverage({"room_01": ["heat_setpoint_c", "cool_setpoint_c", "temperature_c"]})
[]
"""

from __future__ import annotations

import math
import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from hw_adapters.sections import (  # re-exported: the parts of a point map
    BacnetAddress,
    BacnetConfig,
    EnvelopeConfig,
    Key,
    ModbusAddress,
    ModbusConfig,
    MqttAddress,
    MqttConfig,
    PointMapModel,
    PosFloat,
    Protocol,
)
from twin.errors import PointMapError
from twin.interface import (
    COMMAND_QUANTITIES,
    SENSOR_QUANTITIES,
    SITE_SENSORS,
    THERMOSTAT_MODES,
)
from twin.scenario.errors import format_validation_error

__all__ = [
    "ENUM_QUANTITIES",
    "BacnetAddress",
    "BacnetConfig",
    "EnvelopeConfig",
    "ModbusAddress",
    "ModbusConfig",
    "MqttAddress",
    "MqttConfig",
    "Point",
    "PointMap",
    "check_covers",
    "load_point_map",
]


#: Quantities that are indices (into a catalogue or :data:`THERMOSTAT_MODES`), not levels.
ENUM_QUANTITIES = ("music_genre", "display_category", "thermostat_mode")
#: Set-points whose zone must have a fresh temperature reading before they are changed.
SETPOINT_QUANTITIES = ("heat_setpoint_c", "cool_setpoint_c")

PointName = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_.\-]*$", max_length=80)]
#: BACnet priorities 1-2 are manual life safety / automatic life safety: never ours.
Priority = Annotated[int, Field(ge=1, le=16)]


# --------------------------------------------------------------------------- the point


def _address_check(protocol: str, info: ValidationInfo, value: Any) -> Any:
    """A point carries the address of its own protocol and of no other."""
    chosen = info.data.get("protocol")
    if chosen is None:
        return value
    if chosen == protocol and value is None:
        raise ValueError(f"protocol = {protocol!r} needs a {protocol} = {{...}} address table")
    if chosen != protocol and value is not None:
        raise ValueError(f"a {protocol} address on a point whose protocol is {chosen!r}")
    return value


class Point(PointMapModel):
    """One sensor or actuator of the site, in twin units.

    Field order matters: each check below sees the fields declared before it.
    """

    name: PointName
    quantity: str
    zone: Key | None = None
    display: Key | None = Field(default=None, validate_default=True)
    protocol: Protocol
    mqtt: MqttAddress | None = Field(default=None, validate_default=True)
    modbus: ModbusAddress | None = Field(default=None, validate_default=True)
    bacnet: BacnetAddress | None = Field(default=None, validate_default=True)
    unit: str
    scale: float = 1.0
    offset: float = 0.0
    writable: bool = Field(default=False, validate_default=True)
    min: float | None = None
    max: float | None = Field(default=None, validate_default=True)
    max_rate_per_min: PosFloat | None = None
    fail_safe: float | None = Field(default=None, validate_default=True)
    priority: Priority = Field(default=12, validate_default=True)
    stale_after_s: PosFloat | None = None
    options: tuple[Annotated[str, Field(min_length=1, max_length=40)], ...] | None = Field(
        default=None, strict=False, validate_default=True
    )

    @field_validator("quantity")
    @classmethod
    def _quantity(cls, v: str) -> str:
        if v not in SENSOR_QUANTITIES and v not in COMMAND_QUANTITIES and v not in SITE_SENSORS:
            known = ", ".join(sorted({*SENSOR_QUANTITIES, *COMMAND_QUANTITIES, *SITE_SENSORS}))
            raise ValueError(f"unknown quantity {v!r}; one of: {known}")
        return v

    @field_validator("display")
    @classmethod
    def _zone_or_display(cls, v: str | None, info: ValidationInfo) -> str | None:
        if "zone" not in info.data:
            return v
        if info.data.get("quantity") in SITE_SENSORS:
            if info.data["zone"] is not None or v is not None:
                raise ValueError(
                    f"{info.data['quantity']} is a site reading: give neither zone nor display"
                )
            return v
        if (info.data["zone"] is None) == (v is None):
            raise ValueError("give exactly one of zone (a twin zone) or display")
        return v

    @field_validator("mqtt")
    @classmethod
    def _mqtt(cls, v: MqttAddress | None, info: ValidationInfo) -> MqttAddress | None:
        return _address_check("mqtt", info, v)  # type: ignore[no-any-return]

    @field_validator("modbus")
    @classmethod
    def _modbus(cls, v: ModbusAddress | None, info: ValidationInfo) -> ModbusAddress | None:
        return _address_check("modbus", info, v)  # type: ignore[no-any-return]

    @field_validator("bacnet")
    @classmethod
    def _bacnet(cls, v: BacnetAddress | None, info: ValidationInfo) -> BacnetAddress | None:
        return _address_check("bacnet", info, v)  # type: ignore[no-any-return]

    @field_validator("unit")
    @classmethod
    def _unit(cls, v: str, info: ValidationInfo) -> str:
        q = info.data.get("quantity")
        expected = (
            COMMAND_QUANTITIES.get(q) or SENSOR_QUANTITIES.get(q) or SITE_SENSORS.get(q)
            if q
            else None
        )
        if expected is not None and v != expected:
            raise ValueError(f"{q} is in {expected!r}, not {v!r} (convert with scale/offset)")
        return v

    @field_validator("scale")
    @classmethod
    def _scale(cls, v: float) -> float:
        if v == 0:
            raise ValueError("scale must not be 0 (raw = value * scale + offset)")
        return v

    @field_validator("writable")
    @classmethod
    def _writable(cls, v: bool, info: ValidationInfo) -> bool:
        q = info.data.get("quantity")
        if not v:
            if isinstance(info.data.get("mqtt"), MqttAddress) and not info.data["mqtt"].state_topic:
                raise ValueError("a read-only mqtt point needs a state_topic")
            return v
        if q is not None and q not in COMMAND_QUANTITIES:
            raise ValueError(f"writable sensor: {q!r} is not a command quantity")
        mb, bn, mq = info.data.get("modbus"), info.data.get("bacnet"), info.data.get("mqtt")
        if isinstance(mb, ModbusAddress) and mb.register_type == "input":
            raise ValueError("writable point on an input register (read-only in Modbus)")
        if isinstance(bn, BacnetAddress) and bn.object_type == "analog-input":
            raise ValueError("writable point on an analog-input (not commandable)")
        if isinstance(mq, MqttAddress) and not mq.command_topic:
            raise ValueError("a writable mqtt point needs a command_topic")
        return v

    @field_validator("max")
    @classmethod
    def _max(cls, v: float | None, info: ValidationInfo) -> float | None:
        lo = info.data.get("min")
        if info.data.get("writable") and (lo is None or v is None):
            raise ValueError("a writable point needs both min and max")
        if lo is not None and v is not None and not lo < v:
            raise ValueError(f"min = {lo} >= max = {v}: min must be below max")
        return v

    @field_validator("fail_safe")
    @classmethod
    def _fail_safe(cls, v: float | None, info: ValidationInfo) -> float | None:
        lo, hi = info.data.get("min"), info.data.get("max")
        if v is None:
            if info.data.get("writable"):
                raise ValueError("a writable point needs fail_safe (its value on any doubt)")
            return v
        if lo is not None and hi is not None and not lo <= v <= hi:
            raise ValueError(f"fail_safe = {v} outside [min, max] = [{lo}, {hi}]")
        return v

    @field_validator("priority")
    @classmethod
    def _priority(cls, v: int) -> int:
        if v <= 2:
            raise ValueError(f"priority {v} is BACnet life safety (1-2): use 3-16, e.g. 12")
        return v

    @field_validator("stale_after_s")
    @classmethod
    def _stale(cls, v: float | None, info: ValidationInfo) -> float | None:
        if v is not None and info.data.get("writable"):
            raise ValueError("stale_after_s is for sensors; a writable point has no age")
        return v

    @field_validator("options")
    @classmethod
    def _options(cls, v: tuple[str, ...] | None, info: ValidationInfo) -> tuple[str, ...] | None:
        q, lo, hi = info.data.get("quantity"), info.data.get("min"), info.data.get("max")
        if q not in ENUM_QUANTITIES:
            if v is not None:
                raise ValueError(f"options are for index quantities {ENUM_QUANTITIES}, not {q!r}")
            return v
        for bound in (lo, hi):
            if bound is not None and bound != int(bound):
                raise ValueError(f"{q} is an index: min and max must be whole numbers")
        if q == "thermostat_mode" and hi is not None and hi > len(THERMOSTAT_MODES) - 1:
            raise ValueError(f"thermostat_mode max = {hi}: modes are 0..3 {THERMOSTAT_MODES}")
        if v is not None and lo is not None and hi is not None and len(v) != hi - lo + 1:
            raise ValueError(f"{len(v)} options for indices {lo:g}..{hi:g}: give one per index")
        return v

    # -- conversions -------------------------------------------------------------------

    @property
    def owner(self) -> str:
        """The zone or display this point belongs to (``"site"`` for site readings)."""
        if self.zone is not None:
            return self.zone
        return "site" if self.display is None else self.display

    @property
    def is_enum(self) -> bool:
        """True for index quantities (genre, display content, thermostat mode)."""
        return self.quantity in ENUM_QUANTITIES

    def to_raw(self, value: float) -> float:
        """Twin units -> device units (``value * scale + offset``)."""
        return value * self.scale + self.offset

    def from_raw(self, raw: float) -> float:
        """Device units -> twin units."""
        return (raw - self.offset) / self.scale

    def address_key(self) -> tuple[Any, ...] | None:
        """What must be unique across points of a site (None: nothing to clash)."""
        return _address_key(self.model_dump())


# --------------------------------------------------------------------------- the map


def _address_key(p: Mapping[str, Any]) -> tuple[Any, ...] | None:
    """A hashable address from plain point data (used on raw TOML too, to report clashes)."""
    proto = p.get("protocol")
    a = p.get(proto) if isinstance(proto, str) else None
    if not isinstance(a, Mapping):
        return None
    try:
        if proto == "mqtt":
            return ("mqtt", a.get("command_topic") or a.get("state_topic"), a.get("json_key"))
        if proto == "modbus":
            return ("modbus", a.get("register_type"), int(a["address"]))
        if proto == "bacnet":
            return ("bacnet", a["object_type"], int(a["instance"]))
    except (KeyError, TypeError, ValueError):
        return None
    return None


def _cross_problems(points: Sequence[Any], sections: Mapping[str, Any]) -> list[str]:
    """Problems between points: duplicate names or addresses, missing protocol sections.

    Works on plain data so that :func:`load_point_map` reports clashes together with the
    per-point problems.
    """
    problems: list[str] = []
    seen_names: dict[str, int] = {}
    seen_addr: dict[tuple[Any, ...], str] = {}
    used_words: dict[int, str] = {}
    for i, p in enumerate(points):
        if not isinstance(p, Mapping):
            continue
        name = p.get("name")
        label = f"points[{i}] ({name})"
        if isinstance(name, str):
            if name in seen_names:
                problems.append(f"{label}.name: duplicate of points[{seen_names[name]}]")
            seen_names.setdefault(name, i)
        key = _address_key(p)
        if key is not None:
            if key in seen_addr:
                problems.append(f"{label}: same {key[0]} address as point {seen_addr[key]!r}")
            seen_addr.setdefault(key, str(name))
        proto = p.get("protocol")
        if proto in ("mqtt", "modbus", "bacnet") and sections.get(proto) is None:
            problems.append(f"{label}: protocol = {proto!r} but the map has no [{proto}] section")
        mb = p.get("modbus")
        if (
            proto == "modbus"
            and isinstance(mb, Mapping)
            and key is not None
            and key[1] == "holding"
        ):
            width = 2 if mb.get("data_type") in ("int32", "float32") else 1
            for w in range(int(mb["address"]), int(mb["address"]) + width):
                other = used_words.get(w)
                if other is not None and other != name:
                    problems.append(f"{label}: holding register {w} overlaps point {other!r}")
                used_words[w] = str(name)
    mb_site = sections.get("modbus")
    hb = mb_site.get("heartbeat_register") if isinstance(mb_site, Mapping) else None
    if isinstance(hb, int) and hb in used_words:
        problems.append(f"modbus.heartbeat_register = {hb}: used by point {used_words[hb]!r}")
    return problems


class PointMap(PointMapModel):
    """A validated point map of one site. Build it with :func:`load_point_map`."""

    name: Annotated[str, Field(min_length=1)]
    venue: Literal["building", "hotel", "store", "home"] = "building"
    description: str = ""
    mqtt: MqttConfig | None = None
    modbus: ModbusConfig | None = None
    bacnet: BacnetConfig | None = None
    envelope: EnvelopeConfig = EnvelopeConfig()
    points: tuple[Point, ...] = Field(strict=False, min_length=1)

    @model_validator(mode="after")
    def _check_points(self) -> PointMap:
        sections = {k: getattr(self, k) and getattr(self, k).model_dump() for k in _PROTOCOLS}
        problems = _cross_problems([p.model_dump() for p in self.points], sections)
        for p in self.points:
            if self.bacnet and p.protocol == "bacnet" and p.writable:
                if p.priority <= self.bacnet.override_priority:
                    problems.append(
                        f"point {p.name!r}: priority = {p.priority} would beat operator "
                        f"overrides at bacnet.override_priority = {self.bacnet.override_priority}"
                    )
        for zone in self.zones():
            heat = self.find(zone, "heat_setpoint_c", writable=True)
            cool = self.find(zone, "cool_setpoint_c", writable=True)
            if heat and cool and heat.fail_safe is not None and cool.fail_safe is not None:
                need = self.envelope.deadband(zone)
                if cool.fail_safe - heat.fail_safe < need:
                    problems.append(
                        f"zone {zone!r}: fail_safe cool {cool.fail_safe:g} - heat "
                        f"{heat.fail_safe:g} is below the deadband {need:g} K"
                    )
        if problems:
            raise ValueError("\n".join(problems))
        return self

    # -- look-ups ----------------------------------------------------------------------

    def point(self, name: str) -> Point:
        """The point called ``name``; ``KeyError`` lists the known names."""
        for p in self.points:
            if p.name == name:
                return p
        raise KeyError(f"no point {name!r} in point map {self.name!r}")

    def displays(self) -> tuple[str, ...]:
        """Display names that have at least one point, sorted."""
        return tuple(sorted({p.display for p in self.points if p.display is not None}))

    def zones(self) -> tuple[str, ...]:
        """Twin zone names that have at least one point, sorted."""
        return tuple(sorted({p.zone for p in self.points if p.zone is not None}))

    def of_protocol(self, protocol: str) -> tuple[Point, ...]:
        """Points carried by ``protocol``."""
        return tuple(p for p in self.points if p.protocol == protocol)

    @cached_property
    def _by_owner(self) -> dict[tuple[str, str], list[Point]]:
        """(owner, quantity) -> its points in map order (built once; the map is frozen)."""
        index: dict[tuple[str, str], list[Point]] = {}
        for p in self.points:
            index.setdefault((p.owner, p.quantity), []).append(p)
        return index

    def find(self, owner: str, quantity: str, *, writable: bool | None = None) -> Point | None:
        """The point of ``owner`` (zone or display) for ``quantity``, if the map has one."""
        for p in self._by_owner.get((owner, quantity), ()):
            if writable is None or p.writable == writable:
                return p
        return None

    def temperature_sensor(self, zone: str) -> Point | None:
        """The zone's air temperature sensor (what set-point staleness is judged by)."""
        return self.find(zone, "temperature_c", writable=False)

    def coverage(self, required: Mapping[str, Iterable[str]]) -> list[str]:
        """What the map lacks for ``required`` (zone or display -> quantities), one line each.

        A command quantity needs a writable point; a sensor quantity a readable one.
        """
        problems = []
        for owner, quantities in required.items():
            for q in quantities:
                if q in COMMAND_QUANTITIES:
                    if self.find(owner, q, writable=True) is None:
                        problems.append(f"{owner}: no writable point for {q}")
                elif q in SENSOR_QUANTITIES or q in SITE_SENSORS:
                    if self.find(owner, q) is None:
                        problems.append(f"{owner}: no sensor point for {q}")
                else:
                    problems.append(f"{owner}: unknown quantity {q!r}")
        return problems

    def to_json(self, indent: int | None = 2) -> str:
        """Serialise the resolved map (paths already absolute)."""
        return self.model_dump_json(indent=indent)

    @classmethod
    def from_json(cls, text: str | bytes, source: str = "<json>") -> PointMap:
        """Load a map saved by :meth:`to_json`."""
        import json

        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise PointMapError(f"{source}: not valid JSON: {exc}") from None
        return cls.from_dict(data, source)

    @classmethod
    def from_dict(cls, data: Any, source: str = "<dict>") -> PointMap:
        """Validate plain data; raises :class:`PointMapError` with one line per problem."""
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            lines = _format(exc, data, source)
        if isinstance(data, Mapping) and isinstance(data.get("points"), list):
            sections = {k: data.get(k) for k in _PROTOCOLS}
            for line in _cross_problems(data["points"], sections):
                full = f"{source}: {line}"
                if full not in lines:
                    lines.append(full)
        raise PointMapError("\n".join(lines))


_PROTOCOLS = ("mqtt", "modbus", "bacnet")


def _format(exc: ValidationError, data: Any, source: str) -> list[str]:
    """Pydantic's errors as one line each, with the point's name next to its index."""
    names: dict[int, str] = {}
    if isinstance(data, Mapping) and isinstance(data.get("points"), list):
        for i, p in enumerate(data["points"]):
            if isinstance(p, Mapping) and isinstance(p.get("name"), str):
                names[i] = p["name"]
    lines = []
    for line in format_validation_error(exc, PointMap, source).splitlines():
        if not line.startswith(f"{source}: "):
            line = f"{source}: {line}"  # a multi-line cross-point message
        line = re.sub(
            r"^(.*?: )points\[(\d+)\]",
            lambda m: (
                f"{m.group(1)}points[{m.group(2)}]"
                + (f" ({names[int(m.group(2))]})" if int(m.group(2)) in names else "")
            ),
            line,
            count=1,
        )
        lines.append(line)
    return lines


def _resolve_paths(data: dict[str, Any], folder: Path) -> None:
    """Secret and certificate paths are relative to the map's folder."""
    mqtt = data.get("mqtt")
    if isinstance(mqtt, dict):
        for key in ("password_file", "ca_file", "client_cert", "client_key"):
            value = mqtt.get(key)
            if isinstance(value, str) and value and not Path(value).is_absolute():
                mqtt[key] = str((folder / value).resolve())


def load_point_map(path: str | Path) -> PointMap:
    """Read and validate a point map (TOML, or JSON saved by :meth:`PointMap.to_json`).

    Raises:
        PointMapError: the file is missing, unreadable or invalid; one line per problem
            naming the file, the point and the field.
    """
    path = Path(path)
    if not path.is_file():
        raise PointMapError(f"{path}: no such point map file")
    if path.suffix == ".json":
        return PointMap.from_json(path.read_bytes(), str(path))
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise PointMapError(f"{path}: not valid TOML: {exc}") from None
    except UnicodeDecodeError as exc:
        raise PointMapError(f"{path}: not a UTF-8 text file ({exc.reason})") from None
    _resolve_paths(data, path.parent)
    return PointMap.from_dict(data, source=str(path))


def check_covers(point_map: PointMap, required: Mapping[str, Iterable[str]]) -> None:
    """Refuse to start unless ``point_map`` covers what a policy needs.

    Call before anything is written.

    Raises:
        PointMapError: one line per missing point.
    """
    problems = point_map.coverage(required)
    if problems:
        lines = [f"point map {point_map.name!r}: {p}" for p in problems]
        raise PointMapError("\n".join(lines))


def zone_requirements(
    zones: Iterable[str],
    quantities: Sequence[str] = ("heat_setpoint_c", "cool_setpoint_c", "temperature_c"),
) -> dict[str, list[str]]:
    """The usual requirement of a thermal policy: set-points and a temperature per zone."""
    return {z: list(quantities) for z in zones}


def is_whole(value: float) -> bool:
    """True when ``value`` is a finite whole number (an index)."""
    return math.isfinite(value) and value == int(value)
