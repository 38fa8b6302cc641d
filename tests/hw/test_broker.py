"""The broker configuration that ships (TLS, passwords, ACL) and what the site publishes:
no anonymous client gets in, and no personal data of anyone who did not consent appears
in any topic or register."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from hw_adapters.broker import ACL_TEMPLATE, CONFIG_TEMPLATE, SiteBroker
from hw_adapters.gap import RealityGap
from hw_adapters.rig import Rig
from tests.hw.conftest import need_mosquitto
from tests.hw.rigs import rig_map, scenario

pytestmark = pytest.mark.hardware


class Client:
    """A paho client that records what it receives (and how its connection went)."""

    def __init__(self, port: int, user: str | None, password: str | None, ca: Path | None,
                 topics: tuple[str, ...] = ("#",), wait_s: float = 10.0) -> None:  # fmt: skip
        import paho.mqtt.client as mqtt

        self.messages: list[tuple[str, bytes, bool]] = []
        self.result: str | None = None
        self.ready = threading.Event()
        c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
        if user:
            c.username_pw_set(user, password)
        if ca:
            c.tls_set(ca_certs=str(ca))

        def on_connect(cl: Any, u: Any, f: Any, reason: Any, p: Any) -> None:
            self.result = str(reason)
            if not reason.is_failure:
                cl.subscribe([(t, 1) for t in topics])
            else:
                self.ready.set()

        c.on_connect = on_connect
        c.on_subscribe = lambda *a: self.ready.set()
        c.on_message = lambda cl, u, m: self.messages.append((m.topic, m.payload, m.retain))
        self.client = c
        try:
            c.connect("127.0.0.1", port, keepalive=5)
        except OSError as exc:
            self.result = f"refused: {exc}"
            self.ready.set()
            return
        c.loop_start()
        self.ready.wait(wait_s)

    def stop(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def test_shipped_config_is_not_anonymous_and_needs_tls_and_a_password(tmp_path: Path) -> None:
    need_mosquitto()
    conf = CONFIG_TEMPLATE.read_text()
    assert "allow_anonymous false" in conf and "password_file" in conf and "cafile" in conf
    assert "acl_file" in conf and "require_certificate" in conf
    assert "user $controller" in ACL_TEMPLATE.read_text()
    with SiteBroker(tmp_path / "broker", "twin/site") as broker:  # certificates made here
        assert broker.tls is not None
        pw = broker.password_file("twin-controller").read_text().strip()
        good = Client(broker.port, "twin-controller", pw, broker.tls.ca)
        assert good.result == "Success"
        no_password = Client(broker.port, None, None, broker.tls.ca)
        wrong = Client(broker.port, "twin-controller", "guess", broker.tls.ca)
        no_tls = Client(broker.port, "twin-controller", pw, None, wait_s=1.0)
        time.sleep(0.5)
        assert no_password.result == "Not authorized"
        assert wrong.result == "Not authorized"
        assert no_tls.result != "Success"  # a plain client never completes a CONNACK
        # The ACL: the controller writes commands, but cannot forge a sensor reading.
        auditor = Client(
            broker.port,
            "twin-auditor",
            broker.password_file("twin-auditor").read_text().strip(),
            broker.tls.ca,
        )
        good.client.publish("twin/site/lobby/temp", "99.0", qos=1).wait_for_publish(5)
        good.client.publish("twin/site/lobby/heat/set", "21.0", qos=1).wait_for_publish(5)
        time.sleep(0.5)
        seen = {t for t, _, _ in auditor.messages}
        assert "twin/site/lobby/heat/set" in seen and "twin/site/lobby/temp" not in seen
        for c in (good, no_password, wrong, no_tls, auditor):
            c.stop()


def _numbers(obj: Any) -> list[float]:
    if isinstance(obj, bool):
        return []
    if isinstance(obj, (int, float)):
        return [float(obj)]
    if isinstance(obj, dict):
        return [x for v in obj.values() for x in _numbers(v)]
    if isinstance(obj, list):
        return [x for v in obj for x in _numbers(v)]
    return []


def _keys(obj: Any) -> set[str]:
    if isinstance(obj, dict):
        return set(obj) | {k for v in obj.values() for k in _keys(v)}
    if isinstance(obj, list):
        return {k for v in obj for k in _keys(v)}
    return set()


@pytest.mark.parametrize(
    ("name", "hours", "steps"),
    [("hotel_small", 24, 40), ("store_small", 3, 90), ("homes_small", 24, 60)],
)
def test_no_personal_data_in_any_topic_or_register(
    name: str, hours: float, steps: int, tmp_path: Path
) -> None:
    need_mosquitto()
    home = 3 if name == "homes_small" else None  # a household that did not consent
    with Rig(scenario(name, hours), rig_map(name), tmp_path / "rig", gap=RealityGap.zero(),
             fast=True, home=home) as rig:  # fmt: skip
        users = rig.broker.names
        pw = rig.broker.password_file(users.auditor).read_text().strip()
        auditor = Client(rig.broker.port, users.auditor, pw, rig.broker.tls.ca)  # type: ignore[union-attr]
        private: set[float] = set()
        shared: set[float] = set()
        registers: list[float] = []
        for _ in range(steps):
            rig.step()
            slots: Any = rig.world.venue.slots
            if name == "hotel_small":
                here = slots.active[0] == 1
                for r in np.flatnonzero(here):
                    target = shared if slots.consent[0, r] == 1 else private
                    target.update(float(v) for v in slots.prefs[[0, 2, 3], 0, r])
                    if slots.consent[0, r] == 0:  # every field, not only what is encoded
                        private.update(float(v) for v in slots.prefs[:, 0, r])
            elif name == "homes_small":  # nothing about residents is published, with consent or not
                assert slots.consent[0] == 0
                private.update(float(v) for v in slots.traits[:, 0, : slots.size[0]].ravel())
                shared.add(float(rig.world.t_out[rig.world.t, 0]))  # published: the scan works
            else:
                inside = slots.stage[0] != 0
                for m in np.flatnonzero(inside):
                    values = [
                        *slots.prefs[:, 0, m],
                        *slots.liking[:, 0, m],
                        *slots.affinity[:, 0, m],
                    ]
                    (shared if slots.consent[0, m] == 1 else private).update(
                        float(v) for v in values
                    )
            for p in rig.point_map.points:
                if p.protocol == "modbus" and rig.modbus is not None:
                    registers.append(rig.modbus.value(p.name))
                elif p.protocol == "bacnet" and rig.bacnet is not None:
                    registers.append(rig.bacnet.present_value(p.name))
        time.sleep(0.5)
        auditor.stop()
    private -= shared  # a value shared by chance with a consenting person proves nothing
    private = {v for v in private if abs(v) > 1.5}  # 0/1 flags and tiny values are everywhere
    published: list[float] = []
    keys: set[str] = set()
    for _, payload, _ in auditor.messages:
        text = payload.decode()
        try:
            body = json.loads(text)
        except ValueError:
            body = text
        published += _numbers(body)
        keys |= _keys(body)
    published += registers
    assert len(auditor.messages) > steps and private and shared
    found = np.array(published)
    leaked = [v for v in private if np.any(np.isclose(found, v, rtol=1e-9, atol=0))]
    assert not leaked, f"{len(leaked)} preference values of non-consenting people published"
    assert any(np.any(np.isclose(found, v, rtol=1e-9, atol=0)) for v in shared)  # scan works
    assert not keys & {"name", "guest", "guest_id", "id", "segment", "email", "phone"}
