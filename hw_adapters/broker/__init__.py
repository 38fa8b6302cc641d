"""The broker configuration twin ships: password, TLS, an ACL; and a broker that uses it.

``mosquitto.conf`` and ``acl`` beside this file are the templates: no anonymous access,
a TLS listener only (TLS 1.2+), a password for every client, and per-user topic rights
(the controller reads the site and writes commands only; the site's devices own their
topics; an auditor reads everything). :class:`SiteBroker` renders them into a folder
with freshly generated credentials (random passwords hashed by ``mosquitto_passwd``, a
throw-away CA and server certificate made with ``openssl``) and runs Mosquitto on
127.0.0.1. The hardware-in-the-loop rig uses it; a real site fills the templates in.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from string import Template

from hw_adapters.testing.mosquitto import Mosquitto

__all__ = ["ACL_TEMPLATE", "CONFIG_TEMPLATE", "BrokerUsers", "SiteBroker"]

CONFIG_TEMPLATE = Path(__file__).with_name("mosquitto.conf")
ACL_TEMPLATE = Path(__file__).with_name("acl")


@dataclass(frozen=True, slots=True)
class BrokerUsers:
    """The three users of a site broker."""

    controller: str = "twin-controller"
    site: str = "twin-site"
    auditor: str = "twin-auditor"


class SiteBroker(Mosquitto):
    """Mosquitto with the shipped configuration, on ``127.0.0.1:<port>``, TLS + passwords.

    Args:
        folder: where the config, ACL, password file, certificates and secrets go;
            ``secrets/<user>.pw`` holds each user's password (mode 0600).
        prefix: the site's MQTT topic prefix (the ACL is written for it).
        port: TCP port (default: a free one).
        users: the user names.
    """

    def __init__(
        self,
        folder: Path,
        prefix: str,
        port: int | None = None,
        users: BrokerUsers = BrokerUsers(),
    ) -> None:
        self.prefix = prefix
        self.names = users
        folder = Path(folder)
        self.secrets = folder / "secrets"
        self.secrets.mkdir(parents=True, exist_ok=True)
        passwords = {}
        for user in (users.controller, users.site, users.auditor):
            pw = secrets.token_urlsafe(18)
            path = self.secrets / f"{user}.pw"
            path.write_text(pw + "\n")
            path.chmod(0o600)
            passwords[user] = pw
        super().__init__(folder, port, users=passwords, tls=True)

    def password_file(self, user: str) -> Path:
        """The file holding ``user``'s password."""
        return self.secrets / f"{user}.pw"

    def _write_config(self) -> None:
        assert self.tls is not None
        pw = self.folder / "passwd"
        pw.unlink(missing_ok=True)
        tool = shutil.which("mosquitto_passwd") or "/usr/bin/mosquitto_passwd"
        for i, (user, password) in enumerate(self.users.items()):
            create = ["-c"] if i == 0 else []
            subprocess.run(
                [tool, *create, "-b", str(pw), user, password],
                check=True, capture_output=True, timeout=30,
            )  # fmt: skip
        pw.chmod(0o600)
        acl = self.folder / "acl"
        acl.write_text(
            Template(ACL_TEMPLATE.read_text()).substitute(
                prefix=self.prefix,
                controller=self.names.controller,
                site=self.names.site,
                auditor=self.names.auditor,
            )  # fmt: skip
        )
        text = Template(CONFIG_TEMPLATE.read_text()).substitute(
            password_file=pw, acl_file=acl, port=self.port, host="127.0.0.1",
            cafile=self.tls.ca, certfile=self.tls.server_cert, keyfile=self.tls.server_key,
        )  # fmt: skip
        if os.geteuid() == 0:
            text += "user root\n"  # else it drops to 'mosquitto', who cannot read the files
        self.config.write_text(text)
