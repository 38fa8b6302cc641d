"""Run a controller in its own process, for tests that kill it (``SIGKILL``).

``python -m hw_adapters.testing.controller_process MAP.json AUDIT.jsonl COMMANDS.json
[PROTOCOL ...]`` connects to the site in act mode, applies the commands (a JSON object
``{point: value}``), prints ``ready`` and then keeps its heartbeat going until killed.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from hw_adapters.controller import Controller
from hw_adapters.pointmap import load_point_map


def main(argv: list[str]) -> int:
    """Entry point; see the module docstring for the arguments."""
    map_path, audit_path, commands_path, *protocols = argv
    pm = load_point_map(map_path)
    commands = json.loads(Path(commands_path).read_text())
    controller = Controller.connect(pm, audit_path, mode="act", protocols=protocols or None)
    controller.step(commands)
    print("ready", flush=True)
    while True:
        time.sleep(1)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
