"""Free loopback ports, chosen at run time so parallel test workers never clash."""

from __future__ import annotations

import socket
import time

__all__ = ["free_tcp_port", "free_udp_port", "wait_for_tcp"]

LOOPBACK = "127.0.0.1"


def free_tcp_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((LOOPBACK, 0))
        return int(s.getsockname()[1])


def free_udp_port() -> int:
    """A UDP port on 127.0.0.1 that nothing is bound to right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind((LOOPBACK, 0))
        return int(s.getsockname()[1])


def wait_for_tcp(port: int, timeout: float = 10.0, host: str = LOOPBACK) -> bool:
    """Poll until something accepts connections on ``host:port`` (False on timeout)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.2):
                return True
        except OSError:
            time.sleep(0.02)
    return False
