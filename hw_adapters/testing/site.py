"""The shipped example site, rewired to endpoints started on free loopback ports.

Tests and the hardware-in-the-loop rig start real endpoints on ports chosen at run
time; this rewrites the example map's connection sections to point at them, keeping
every point exactly as shipped.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hw_adapters.pointmap import PointMap, load_point_map

__all__ = ["EXAMPLE_MAP", "example_map", "with_point_changes", "with_sections"]

EXAMPLE_MAP = Path(__file__).resolve().parents[1] / "examples" / "hotel_small_points.toml"

#: Heartbeats fast enough for a test to see a fallback within about a second.
FAST_HEARTBEAT = {"heartbeat_interval_s": 0.1, "heartbeat_timeout_s": 1.5}


def with_sections(point_map: PointMap, **sections: dict[str, Any] | None) -> PointMap:
    """``point_map`` with the given site sections updated (``None`` removes a section).

    Validation runs again, so an inconsistent change raises :class:`PointMapError`.
    """
    data = point_map.model_dump()
    for key, update in sections.items():
        if update is None:
            data[key] = None
        else:
            data[key] = {**(data.get(key) or {}), **update}
    return PointMap.from_dict(data, source=f"{point_map.name} (rewired)")


def with_point_changes(point_map: PointMap, changes: dict[str, dict[str, Any]]) -> PointMap:
    """``point_map`` with fields of some points changed (``{point: {field: value}}``)."""
    data = point_map.model_dump()
    for p in data["points"]:
        p.update(changes.get(p["name"], {}))
    return PointMap.from_dict(data, source=f"{point_map.name} (changed)")


def example_map(
    *,
    mqtt_port: int | None = None,
    modbus_port: int | None = None,
    bacnet_port: int | None = None,
    bacnet_local_port: int | None = None,
    fast: bool = True,
    mqtt: dict[str, Any] | None = None,
) -> PointMap:
    """The example hotel map pointed at loopback endpoints on the given ports.

    Args:
        mqtt_port, modbus_port: TCP ports of the broker and the Modbus device.
        bacnet_port, bacnet_local_port: UDP ports of the BACnet device and the controller.
        fast: short heartbeats and time-outs for tests (see :data:`FAST_HEARTBEAT`).
        mqtt: further ``[mqtt]`` settings (credentials, TLS files, keepalive).
    """
    pm = load_point_map(EXAMPLE_MAP)
    timing = dict(FAST_HEARTBEAT) if fast else {}
    sections: dict[str, dict[str, Any] | None] = {}
    if mqtt_port is not None or mqtt:
        m: dict[str, Any] = {"host": "127.0.0.1", **({"port": mqtt_port} if mqtt_port else {})}
        m.update({"keepalive_s": 2} if fast else {})
        sections["mqtt"] = {**m, **(mqtt or {})}
    if modbus_port is not None:
        mb: dict[str, Any] = {"host": "127.0.0.1", "port": modbus_port, **timing}
        sections["modbus"] = {**mb, "timeout_s": 0.5} if fast else mb
    if bacnet_port is not None or bacnet_local_port is not None:
        b: dict[str, Any] = dict(timing)
        if bacnet_port is not None:
            b["device_address"] = f"127.0.0.1:{bacnet_port}"
        if bacnet_local_port is not None:
            b["local_address"] = f"127.0.0.1/8:{bacnet_local_port}"
        if fast:
            b.update(timeout_s=0.5, retries=0)
        sections["bacnet"] = b
    return with_sections(pm, **sections) if sections else pm
