"""Point maps for a whole scenario: every zone wired to one of the three protocols.

A site engineer writes a point map by hand from the building's points list; a scenario
that should run on the hardware-in-the-loop rig needs one covering every zone the policy
sees. :func:`rig_point_map` builds it: per zone the sensors (temperature, presence,
people count, illuminance) and actuators (heating and cooling set-points, light level
and colour, and the venue's own: music, displays) with the twin's action ranges as
bounds, the thermostat's set-points as fail-safe values and generous rate limits; the
site's weather station and electricity meter. ``python -m hw_adapters.sitegen SCENARIO``
prints it as TOML; the maps shipped in ``hw_adapters/examples/`` were made this way.

A home is one thermostat: by default every zone's points are on its BACnet device (the
residents' overrides at its panel are writes at the operator priority), the lights only
report their state (residents switch them; the thermostat does not command them), there
is no illuminance sensor and the smart meter is on Modbus.

>>> pm = rig_point_map("hotel_small")
>>> len(pm.points), pm.point("room_1.heat").protocol, pm.point("room_2.heat").protocol
(115, 'bacnet', 'modbus')
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from hw_adapters.pointmap import PointMap
from twin.building import build_building
from twin.scenario import Scenario, load_scenario

__all__ = ["rig_point_map", "to_toml"]

#: Rate limits of generated maps (per site minute); a deadband like the World's.
SETPOINT_RATE_PER_MIN = 2.0
DEADBAND_K = 0.5
#: Heartbeat register / analog-value instance of generated maps.
HEARTBEAT = 1000


def _mqtt(prefix: str, owner: str, key: str, writable: bool, json_key: str | None = None):  # type: ignore[no-untyped-def]
    state = f"{prefix}/{owner}/{key}"
    out: dict[str, Any] = {"state_topic": state}
    if writable:
        out["command_topic"] = f"{state}/set"
    if json_key:
        out["json_key"] = json_key
    return out


def rig_point_map(
    scenario: str | Path | Scenario,
    *,
    bacnet: Sequence[str] | None = None,
    modbus: Sequence[str] | None = None,
    name: str | None = None,
    meter: str | None = None,
) -> PointMap:
    """A point map covering every zone (and display) of ``scenario``.

    Args:
        scenario: a scenario (object, file or shipped name).
        bacnet: zones served by the BACnet device (default: the first zone).
        modbus: zones served by the Modbus device (default: the second zone, if there
            are three or more). Every other zone, the displays and the weather station
            are on MQTT.
        name: the site's name (default: ``<scenario>-rig``).
        meter: the electricity meter's protocol (default: Modbus if any zone is, else
            MQTT; a home's smart meter: Modbus).

    A home's defaults differ (module docstring): every zone on BACnet, lights read-only.
    """
    s = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    b = build_building(s)
    zones = list(b.zone_names)
    home = s.venue == "home"
    bacnet = list(bacnet if bacnet is not None else zones if home else zones[:1])
    modbus = list(modbus if modbus is not None else (zones[1:2] if len(zones) >= 3 and not home
                                                     else []))  # fmt: skip
    meter = meter or ("modbus" if modbus or home else "mqtt")
    prefix = f"twin/{s.name}"
    c, th = s.control, s.thermostat
    points: list[dict[str, Any]] = []
    regs = {"input": 0, "holding": 0}
    inst = {"analog-input": 0, "analog-value": 0}

    def add(owner: dict[str, str], proto: str, name: str, quantity: str, unit: str,
            writable: bool = False, **fields: Any) -> None:  # fmt: skip
        p: dict[str, Any] = {"name": name, "quantity": quantity, **owner, "protocol": proto}
        key = name.split(".", 1)[1]
        if proto == "mqtt":
            json_key = {"light_lux": "brightness", "light_cct_k": "color_temp"}.get(quantity)
            topic_key = "light" if json_key else key
            owner_name = next(iter(owner.values()), "site")
            p["mqtt"] = _mqtt(prefix, owner_name, topic_key, writable, json_key)
        elif proto == "modbus":
            kind = "holding" if writable else "input"
            dtype = "uint16" if quantity in ("light_lux", "light_cct_k", "music_genre",
                                             "display_category") else "float32"  # fmt: skip
            p["modbus"] = {"register_type": kind, "address": regs[kind], "data_type": dtype}
            regs[kind] += 1 if dtype == "uint16" else 2
        else:
            kind = "analog-value" if writable else "analog-input"
            p["bacnet"] = {"object_type": kind, "instance": inst[kind]}
            inst[kind] += 1
        p["unit"] = unit
        if writable:
            p["writable"] = True
        p.update(fields)
        if proto == "mqtt" and quantity == "light_lux" and "max" in fields:
            p["scale"] = 255.0 / fields["max"]  # HA brightness 0-255
        points.append(p)

    stale: dict[str, Any] = {"stale_after_s": 3.0 * s.simulation.dt_s}
    sp: dict[str, Any] = {"min": c.setpoint_min_c, "max": c.setpoint_max_c,
          "max_rate_per_min": SETPOINT_RATE_PER_MIN}  # fmt: skip
    store = s.store
    for z, zone in enumerate(zones):
        proto = "bacnet" if zone in bacnet else "modbus" if zone in modbus else "mqtt"
        own = {"zone": zone}
        add(own, proto, f"{zone}.temp", "temperature_c", "degC", **stale)
        add(own, proto, f"{zone}.presence", "presence", "0/1")
        add(own, proto, f"{zone}.count", "count", "people")
        if not home:  # a home's thermostat reads no illuminance (hw_adapters.venues.home)
            add(own, proto, f"{zone}.lux", "illuminance_lux", "lx")
        add(own, proto, f"{zone}.heat", "heat_setpoint_c", "degC", True, **sp,
            fail_safe=th.heating_setpoint_c)  # fmt: skip
        add(own, proto, f"{zone}.cool", "cool_setpoint_c", "degC", True, **sp,
            fail_safe=th.cooling_setpoint_c)  # fmt: skip
        max_lux = float(b.max_lux[z])
        lo, hi = float(b.cct_min[z]), float(b.cct_max[z])
        if home:  # the residents switch the lights; the site only reports them
            add(own, proto, f"{zone}.light", "light_lux", "lx")
            add(own, proto, f"{zone}.cct", "light_cct_k", "K")
            continue
        add(own, proto, f"{zone}.light", "light_lux", "lx", True, min=0.0, max=max_lux,
            fail_safe=min(float(th.light_lux), max_lux))  # fmt: skip
        add(own, proto, f"{zone}.cct", "light_cct_k", "K", True, min=lo, max=hi,
            fail_safe=min(max(float(th.light_cct_k), lo), hi))  # fmt: skip
        if store is not None:
            genres = tuple(g.name for g in store.music)
            add(own, proto, f"{zone}.genre", "music_genre", "index", True, min=0.0,
                max=float(len(genres) - 1), fail_safe=0.0, options=list(genres))  # fmt: skip
            vlo, vhi = (float(v) for v in store.volume_range_db)
            add(own, proto, f"{zone}.volume", "music_volume_db", "dB(A)", True, min=vlo,
                max=vhi, fail_safe=(vlo + vhi) / 2)  # fmt: skip
    if store is not None:
        cats = list(store.category_names)
        for i, d in enumerate(store.displays):
            default = cats.index(d.category) if d.category is not None else i % len(cats)
            add({"display": d.name}, "mqtt", f"{d.name}.content", "display_category", "index",
                True, min=0.0, max=float(len(cats) - 1), fail_safe=float(default),
                options=cats)  # fmt: skip
    add({}, "mqtt", "site.t_out", "t_out_c", "degC")
    add({}, "mqtt", "site.ghi", "ghi_w_m2", "W/m2")
    add({}, meter, "site.energy", "energy_kwh", "kWh")
    data: dict[str, Any] = {
        "name": name or f"{s.name}-rig",
        "venue": s.venue,
        "description": f"Every zone of scenario {s.name!r} on the hardware-in-the-loop rig.",
        "mqtt": {"host": "127.0.0.1", "port": 8883, "username": "twin-controller",
                 "password_file": "secrets/controller.pw", "ca_file": "tls/ca.crt",
                 "topic_prefix": prefix, "keepalive_s": 5},
        "envelope": {"min_deadband_k": DEADBAND_K},
        "points": points,
    }  # fmt: skip
    if modbus or meter == "modbus":
        data["modbus"] = {"host": "127.0.0.1", "port": 5020, "heartbeat_register": HEARTBEAT}
    if bacnet:
        data["bacnet"] = {"device_address": "127.0.0.1:47808", "local_address":
                          "127.0.0.1/8:47809", "heartbeat_instance": HEARTBEAT}  # fmt: skip
    return PointMap.from_dict(data, source=f"rig map of {s.name}")


def _value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(v, float):
        return repr(v)
    if isinstance(v, int):
        return str(v)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{k} = {_value(x)}" for k, x in v.items()) + " }"
    raise TypeError(f"cannot write {type(v).__name__} as TOML")


def to_toml(point_map: PointMap, header: str = "") -> str:
    """The point map as a TOML file (defaults left out; loads back equal)."""
    data = point_map.model_dump(exclude_defaults=True)
    lines = [f"# {line}".rstrip() for line in header.splitlines()]
    lines += [
        f"{k} = {_value(v)}" for k, v in data.items() if not isinstance(v, (dict, list, tuple))
    ]
    for section in ("mqtt", "modbus", "bacnet", "envelope"):
        if section in data:
            lines += ["", f"[{section}]"]
            lines += [f"{k} = {_value(v)}" for k, v in data[section].items()]
    for p in data["points"]:
        lines += ["", "[[points]]"] + [f"{k} = {_value(v)}" for k, v in p.items()]
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    """``python -m hw_adapters.sitegen SCENARIO``: print its rig point map as TOML."""
    if len(argv) != 1:
        print("usage: python -m hw_adapters.sitegen SCENARIO", file=sys.stderr)
        return 2
    pm = rig_point_map(argv[0])
    header = (
        f"Point map of the hardware-in-the-loop rig for scenario {argv[0]!r}, made by\n"
        f"`python -m hw_adapters.sitegen {argv[0]}` (edit the generator, not this file).\n"
        "Connection sections are rewritten by `twin rig serve` to the endpoints it starts."
    )
    sys.stdout.write(to_toml(pm, header))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
