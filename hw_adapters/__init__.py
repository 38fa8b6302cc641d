"""Replay a trained policy on real actuators, over real protocols, behind a safety envelope.

Importing this package loads nothing heavy; each protocol client (paho-mqtt, pymodbus,
bacpypes3: the ``hw`` extra) is imported only when its adapter is created, and a missing
one raises :class:`~twin.errors.DependencyNotInstalled` with the ``pip`` hint.

The pieces, each one small module with one job:

=============================  ===========================================================
``pointmap``                   A site's TOML point map -> frozen, validated
                               :class:`~hw_adapters.pointmap.PointMap` (one error line
                               per problem, naming point and field); coverage checks.
``sections``                   Its parts: connection sections (MQTT, Modbus, BACnet) and
                               point addresses.
``base``                       The :class:`~hw_adapters.base.Adapter` protocol (``read``,
                               ``write``, ``relinquish``, ``heartbeat``, ``close``) and
                               :class:`~hw_adapters.base.Reading`.
``mqtt`` / ``discovery``       MQTT (paho 2): QoS 1 commands, retained state, Last Will,
                               Home Assistant discovery configs.
``modbus``                     Modbus TCP (pymodbus 3): scaled registers, float32, the
                               heartbeat register.
``bacnet``                     BACnet/IP (bacpypes3 on its own loop thread): writes at a
                               priority, reads back, relinquishes with NULL.
``envelope``                   The safety checks every command passes before a write
                               (bounds, rate, deadband, NaN, staleness, indices,
                               overrides); rejects with a reason, never clips.
``audit``                      The append-only JSON Lines audit log; modes and decisions.
``watchdog``                   The heartbeat thread.
``controller``                 Ties them together: modes (dry-run, shadow, act), overrides,
                               fall-back to the building's own control on stop or loss.
``testing``                    Real loopback endpoints (Mosquitto, a pymodbus device, a
                               bacpypes3 device) for tests and the hardware-in-the-loop rig.
``broker``                     The shipped Mosquitto configuration (TLS, passwords, ACL)
                               and a broker that runs it.
``venues``                     Per venue: the site feed's context (consent at source), the
                               context rebuilt for the twin's encoder, unclipped decoding.
``feed``                       The site feed (clock, forecast, tariff, venue context).
``gap`` / ``rig``              The reality gap; the hardware-in-the-loop rig
                               (``rig_devices``: its MQTT devices).
``sitegen``                    Point maps covering every zone of a scenario.
``deploy``                     ``twin deploy`` on a real-time SimPy clock
                               (``deploy_record``: its run directory).
``replay`` / ``validate``      ``twin validate``: the twin's replay of a deployment, the
                               metrics, pass/fail (``validate_report``: report.md, plots).
=============================  ===========================================================

A session on a site::

    from hw_adapters.controller import Controller
    from hw_adapters.pointmap import check_covers, load_point_map, zone_requirements

    site = load_point_map("site.toml")
    check_covers(site, zone_requirements(site.zones()))  # before anything is written
    with Controller.connect(site, "runs/site/audit.jsonl", mode="shadow") as ctl:
        ctl.step({"room_01.heat": 21.0})  # point name -> value in twin units
"""
