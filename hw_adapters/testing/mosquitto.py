"""A real Mosquitto broker for tests, on a free loopback port with a generated config.

Three flavours: anonymous (plain tests), password-only (``allow_anonymous false`` and a
password file made with ``mosquitto_passwd``), and TLS + password + client certificate
(a CA, a server and a client certificate made with ``openssl`` in the work folder).
The broker is a child process stopped by its PID; :meth:`Mosquitto.restart` keeps the
port so clients can reconnect.

The Debian package puts the broker in ``/usr/sbin`` (not on a plain user's PATH);
:func:`find_mosquitto` looks there too.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Self

from hw_adapters.testing.ports import LOOPBACK, free_tcp_port, wait_for_tcp

__all__ = ["Mosquitto", "TlsFiles", "find_mosquitto", "make_tls_files"]


def find_mosquitto() -> str | None:
    """Path of the ``mosquitto`` binary, or None."""
    return shutil.which("mosquitto") or next(
        (p for p in ("/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto") if os.access(p, os.X_OK)),
        None,
    )


@dataclass(frozen=True, slots=True)
class TlsFiles:
    """Certificates and keys (PEM) made by :func:`make_tls_files`."""

    ca: Path
    server_cert: Path
    server_key: Path
    client_cert: Path
    client_key: Path


def _openssl(*args: str, cwd: Path) -> None:
    openssl = shutil.which("openssl")
    if openssl is None:
        raise RuntimeError("openssl is not installed (Debian package openssl)")
    subprocess.run([openssl, *args], cwd=cwd, check=True, capture_output=True, timeout=60)


def make_tls_files(folder: Path) -> TlsFiles:
    """A throw-away CA, a server certificate for 127.0.0.1/localhost and a client one.

    EC P-256 keys keep generation to a few milliseconds.
    """
    folder.mkdir(parents=True, exist_ok=True)
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    _openssl("req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.crt", "-days", "2",
             "-subj", "/CN=twin test CA", cwd=folder)  # fmt: skip
    (folder / "san.cnf").write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    for who, cn in (("server", "127.0.0.1"), ("client", "twin-controller")):
        _openssl("req", *ec, "-keyout", f"{who}.key", "-out", f"{who}.csr",
                 "-subj", f"/CN={cn}", cwd=folder)  # fmt: skip
        extra = ["-extfile", "san.cnf"] if who == "server" else []
        sign = ["-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-days", "2"]
        _openssl("x509", "-req", "-in", f"{who}.csr", *sign, "-out", f"{who}.crt", *extra,
                 cwd=folder)  # fmt: skip
    return TlsFiles(
        ca=folder / "ca.crt",
        server_cert=folder / "server.crt",
        server_key=folder / "server.key",
        client_cert=folder / "client.crt",
        client_key=folder / "client.key",
    )


class Mosquitto:
    """A Mosquitto broker child process listening on ``127.0.0.1:<port>``.

    Args:
        folder: work folder for the config, password file, certificates and log.
        port: TCP port (default: a free one).
        users: ``{username: password}``; if given, anonymous clients are refused.
        tls: also require TLS (with a client certificate) using files made here.
    """

    def __init__(
        self,
        folder: Path,
        port: int | None = None,
        *,
        users: dict[str, str] | None = None,
        tls: bool = False,
    ) -> None:
        binary = find_mosquitto()
        if binary is None:
            raise RuntimeError(
                "mosquitto is not installed: run `make system-deps` "
                "(apt-get install -y --no-install-recommends mosquitto)"
            )
        self.binary = binary
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.port = port or free_tcp_port()
        self.users = dict(users or {})
        self.tls: TlsFiles | None = make_tls_files(self.folder / "tls") if tls else None
        self.config = self.folder / "mosquitto.conf"
        self.log = self.folder / "mosquitto.log"
        self._write_config()
        self._proc: subprocess.Popen[bytes] | None = None
        self.start()

    def _write_config(self) -> None:
        lines = [f"listener {self.port} {LOOPBACK}", "persistence false", "set_tcp_nodelay true"]
        if os.geteuid() == 0:
            lines.append("user root")  # else it drops to 'mosquitto', who cannot read tmp files
        if self.users:
            pw = self.folder / "passwd"
            pw.unlink(missing_ok=True)
            tool = shutil.which("mosquitto_passwd") or "/usr/bin/mosquitto_passwd"
            for i, (user, password) in enumerate(self.users.items()):
                create = ["-c"] if i == 0 else []
                subprocess.run(
                    [tool, *create, "-b", str(pw), user, password],
                    check=True, capture_output=True, timeout=30,
                )  # fmt: skip
            lines += ["allow_anonymous false", f"password_file {pw}"]
        else:
            lines.append("allow_anonymous true")
        if self.tls is not None:
            lines += [
                f"cafile {self.tls.ca}",
                f"certfile {self.tls.server_cert}",
                f"keyfile {self.tls.server_key}",
                "require_certificate true",
                "tls_version tlsv1.2",
            ]
        self.config.write_text("\n".join(lines) + "\n")

    def start(self, timeout: float = 10.0) -> None:
        """Start the broker and wait until it accepts connections."""
        if self.running:
            return
        with self.log.open("ab") as log:
            self._proc = subprocess.Popen(
                [self.binary, "-c", str(self.config)],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        if not wait_for_tcp(self.port, timeout) or self._proc.poll() is not None:
            text = self.log.read_text(errors="replace")[-2000:]
            self.stop()
            raise RuntimeError(f"mosquitto did not start on port {self.port}:\n{text}")

    @property
    def running(self) -> bool:
        """True while the broker process is alive."""
        return self._proc is not None and self._proc.poll() is None

    def stop(self) -> None:
        """Stop the broker (SIGTERM, then SIGKILL after 5 s); idempotent."""
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)

    def restart(self) -> None:
        """Stop and start again on the same port (clients should reconnect)."""
        self.stop()
        self.start()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
