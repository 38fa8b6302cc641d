"""Real protocol endpoints on loopback, for tests and the hardware-in-the-loop rig.

Every endpoint binds 127.0.0.1 only, on ports chosen at run time
(:mod:`~hw_adapters.testing.ports`), and stops everything it started:

- :class:`~hw_adapters.testing.mosquitto.Mosquitto`: a Mosquitto broker process with a
  generated config (anonymous, or password file + TLS made with ``openssl``).
- :class:`~hw_adapters.testing.mqtt_device.MqttDevice`: thermostats, lights, music and
  signage speaking MQTT, applying fail-safe values when the controller goes offline.
- :class:`~hw_adapters.testing.modbus_device.ModbusDevice`: a pymodbus ``SimDevice``
  server that falls back when the heartbeat register stops.
- :class:`~hw_adapters.testing.bacnet_device.BacnetDevice`: a bacpypes3 device with
  commandable analog-values that relinquishes the controller's slots on heartbeat loss.
- :func:`~hw_adapters.testing.site.example_map`: the shipped example map rewired to them.

Nothing here is imported by ``hw_adapters`` itself.
"""
