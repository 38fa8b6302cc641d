"""Home Assistant MQTT discovery configs for the MQTT points of a site.

Each config is published retained on ``<discovery_prefix>/<component>/<object_id>/config``
so a hub (Home Assistant, or anything speaking its convention) shows the twin's devices
and the controller's availability (``<topic_prefix>/status``: ``online``, or the Last
Will ``offline``). Configs are built from the point map alone: topic names, ranges and
catalogue labels; never a guest, a preference or anything personal.

Per zone: a ``climate`` entity (heat/cool set-points as target low/high, the zone's
temperature as current temperature, ``min_temp``/``max_temp``/``temp_step``, the
thermostat mode if there is one), a JSON-schema ``light`` (brightness and colour
temperature in kelvin), ``select`` entities for music genre and display content, a
``number`` for the music volume and ``sensor`` entities for readings.

>>> from hw_adapters.pointmap import load_point_map
>>> pm = load_point_map("hw_adapters/examples/hotel_small_points.toml")
>>> sorted(discovery_configs(pm))[0]
'homeassistant/climate/hotel-small-site_lobby/config'
"""

from __future__ import annotations

import re
from typing import Any

from hw_adapters.pointmap import Point, PointMap
from twin.interface import THERMOSTAT_MODES

__all__ = ["discovery_configs"]

TEMP_STEP = 0.5
_SENSOR_CLASS = {
    "temperature_c": ("temperature", "°C"),
    "illuminance_lux": ("illuminance", "lx"),
    "heat_setpoint_c": ("temperature", "°C"),
    "cool_setpoint_c": ("temperature", "°C"),
    "t_out_c": ("temperature", "°C"),
    "ghi_w_m2": ("irradiance", "W/m²"),
    "energy_kwh": ("energy", "kWh"),
}


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_\-]", "_", text)


def _index_templates(labels: tuple[str, ...]) -> dict[str, str]:
    """Jinja templates mapping HA's option labels to the index payload and back."""
    to_index = ", ".join(f"'{label}': {i}" for i, label in enumerate(labels))
    return {
        "command_template": "{{ {" + to_index + "}[value] }}",
        "value_template": "{{ " + repr(list(labels)) + "[value | int] }}",
    }


def discovery_configs(point_map: PointMap) -> dict[str, dict[str, Any]]:
    """``{config topic: config}`` for every MQTT entity of the site (empty without MQTT)."""
    cfg = point_map.mqtt
    if cfg is None:
        return {}
    site = _slug(point_map.name)
    common = {
        "availability_topic": cfg.availability_topic,
        "payload_available": "online",
        "payload_not_available": "offline",
        "device": {"identifiers": [site], "name": point_map.name, "manufacturer": "twin",
                   "model": "twin controller"},
        "qos": 1,
    }  # fmt: skip
    out: dict[str, dict[str, Any]] = {}
    used: set[str] = set()

    def add(component: str, object_id: str, name: str, body: dict[str, Any]) -> None:
        object_id = _slug(f"{site}_{object_id}")
        out[f"{cfg.discovery_prefix}/{component}/{object_id}/config"] = {
            "name": name, "unique_id": object_id, "object_id": object_id, **common, **body,
        }  # fmt: skip

    mqtt_points = point_map.of_protocol("mqtt")
    for owner in sorted({p.owner for p in mqtt_points}):

        def get(q: str, writable: bool | None = True, owner: str = owner) -> Point | None:
            p = point_map.find(owner, q, writable=writable)
            return p if p is not None and p.protocol == "mqtt" else None

        heat, cool, mode = get("heat_setpoint_c"), get("cool_setpoint_c"), get("thermostat_mode")
        if heat or cool:
            body: dict[str, Any] = {"temperature_unit": "C", "temp_step": TEMP_STEP,
                                    "precision": 0.1}  # fmt: skip
            bounds = [p for p in (heat, cool) if p is not None]
            body["min_temp"] = min(float(p.min) for p in bounds if p.min is not None)
            body["max_temp"] = max(float(p.max) for p in bounds if p.max is not None)
            for key, p in (("temperature_low", heat), ("temperature_high", cool)):
                if p is not None and p.mqtt is not None:
                    body[f"{key}_command_topic"] = p.mqtt.command_topic
                    body[f"{key}_state_topic"] = p.mqtt.state_topic
                    used.add(p.name)
            temp = get("temperature_c", writable=False)
            if temp is not None and temp.mqtt is not None:
                body["current_temperature_topic"] = temp.mqtt.state_topic
            if mode is not None and mode.mqtt is not None:
                modes = list(THERMOSTAT_MODES)
                tpl = _index_templates(tuple(modes))
                body.update(
                    modes=modes, mode_command_topic=mode.mqtt.command_topic,
                    mode_state_topic=mode.mqtt.state_topic,
                    mode_command_template=tpl["command_template"],
                    mode_state_template=tpl["value_template"],
                )  # fmt: skip
                used.add(mode.name)
            else:
                body["modes"] = ["heat_cool"]
            add("climate", owner, f"{owner} climate", body)

        lux, cct = get("light_lux"), get("light_cct_k")
        if (lux and lux.mqtt and lux.mqtt.json_key) or (cct and cct.mqtt and cct.mqtt.json_key):
            any_light = lux or cct
            assert any_light is not None and any_light.mqtt is not None
            body = {"schema": "json", "command_topic": any_light.mqtt.command_topic,
                    "state_topic": any_light.mqtt.state_topic}  # fmt: skip
            if lux is not None:
                body.update(brightness=True, brightness_scale=255)
                used.add(lux.name)
            if cct is not None and cct.min is not None and cct.max is not None:
                body.update(
                    supported_color_modes=["color_temp"], color_temp_kelvin=True,
                    min_kelvin=int(cct.min), max_kelvin=int(cct.max),
                )  # fmt: skip
                used.add(cct.name)
            else:
                body["supported_color_modes"] = ["brightness"]
            add("light", f"{owner}_light", f"{owner} light", body)

    for p in mqtt_points:
        if p.name in used or p.mqtt is None:
            continue
        if p.writable and p.is_enum and p.min is not None and p.max is not None:
            indices = range(int(p.min), int(p.max) + 1)
            body = {"command_topic": p.mqtt.command_topic, "state_topic": p.mqtt.state_topic}
            if p.options:
                body.update(options=list(p.options), **_index_templates(p.options))
            else:
                body["options"] = [str(i) for i in indices]
            add("select", p.name, p.name.replace(".", " "), body)
        elif p.writable:
            body = {"command_topic": p.mqtt.command_topic, "state_topic": p.mqtt.state_topic,
                    "min": p.min, "max": p.max, "step": 1.0 if p.unit != "degC" else TEMP_STEP,
                    "unit_of_measurement": p.unit, "mode": "box"}  # fmt: skip
            add("number", p.name, p.name.replace(".", " "), body)
        else:
            device_class, unit = _SENSOR_CLASS.get(p.quantity, (None, p.unit))
            state_class = "total_increasing" if p.quantity == "energy_kwh" else "measurement"
            body = {"state_topic": p.mqtt.state_topic, "unit_of_measurement": unit,
                    "state_class": state_class}  # fmt: skip
            if device_class:
                body["device_class"] = device_class
            add("sensor", p.name, p.name.replace(".", " "), body)
    return out
