"""Postgres and Redis from Debian's packages, each a private server on a free loopback port.

Nothing system-wide is started: the packages are installed when missing (with services kept from
starting), and each server runs in the foreground as a child of the stack, on its own port, with its
data under the stack's folder.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from celery_stack.net import free_port, wait_for_port
from celery_stack.processes import ProcessGroups, run_logged

POLICY_RC_D = Path("/usr/sbin/policy-rc.d")
STARTUP_TIMEOUT_S = 60.0


def _apt_install(packages: list[str], log: Path) -> None:
    """``apt-get install`` as root (or ``sudo -n``), with package services kept from starting."""
    prefix: list[str] = [] if os.geteuid() == 0 else ["sudo", "-n"]
    if prefix and not shutil.which("sudo"):
        raise SystemExit(f"install {' '.join(packages)} with apt-get (as root), then run this again")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = [*prefix, "apt-get", "install", "-y", "-q", "--no-install-recommends", *packages]
    # policy-rc.d answering 101 keeps the packages' init scripts from starting system-wide servers.
    own_policy = os.geteuid() == 0 and not POLICY_RC_D.exists()
    if own_policy:
        POLICY_RC_D.write_text("#!/bin/sh\nexit 101\n")
        POLICY_RC_D.chmod(0o755)
    try:
        try:
            run_logged(install, log, env=env)
        except RuntimeError:
            run_logged([*prefix, "apt-get", "update", "-q"], log, env=env)
            run_logged(install, log, env=env)
    finally:
        if own_policy:
            POLICY_RC_D.unlink()


def postgres_bin_dir() -> Path | None:
    """Debian's newest ``/usr/lib/postgresql/<major>/bin``, else wherever ``initdb`` is on PATH."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _as_user(name: str) -> Callable[[], None] | None:
    """A ``preexec_fn`` dropping root to ``name`` (Postgres refuses to run as root); None when not root."""
    if os.geteuid() != 0:
        return None
    entry = pwd.getpwnam(name)

    def drop() -> None:
        os.setgroups([])
        os.setgid(entry.pw_gid)
        os.setuid(entry.pw_uid)

    return drop


def _can_enter(folder: Path, demote: Callable[[], None]) -> bool:
    """Whether the user ``demote`` switches to can reach ``folder`` (every folder above it searchable)."""
    return subprocess.run(["test", "-x", str(folder)], preexec_fn=demote, check=False).returncode == 0


@dataclass
class Postgres:
    """A throw-away Postgres cluster: ``airflow`` superuser, ``airflow`` database, trust auth on loopback."""

    root: Path
    port: int = 0
    user: str = "airflow"
    database: str = "airflow"
    #: The cluster was moved to a temporary folder (the postgres user could not reach ``root``): removed at stop.
    relocated: bool = False

    @property
    def sqlalchemy_url(self) -> str:
        return f"postgresql+psycopg2://{self.user}@127.0.0.1:{self.port}/{self.database}"

    @property
    def celery_result_backend(self) -> str:
        return f"db+postgresql://{self.user}@127.0.0.1:{self.port}/{self.database}"

    def ensure_installed(self, log: Path) -> Path:
        bin_dir = postgres_bin_dir()
        if bin_dir is None:
            _apt_install(["postgresql"], log)
            bin_dir = postgres_bin_dir()
        if bin_dir is None:
            raise SystemExit("Postgres is not installed and apt-get did not install it")
        return bin_dir

    def start(self, processes: ProcessGroups, log_dir: Path) -> None:
        """initdb a new cluster under ``root`` and run it in the foreground as the ``postgres`` child."""
        log = log_dir / "postgres.log"
        bin_dir = self.ensure_installed(log)
        demote = _as_user("postgres")
        self.root.parent.mkdir(parents=True, exist_ok=True)
        if demote is not None and not _can_enter(self.root.parent, demote):
            # A clone in a private folder (mode 0700, as `mktemp -d` makes one): the cluster lives in /tmp.
            self.root, self.relocated = Path(tempfile.mkdtemp(prefix="filed-postgres-")), True
        data, sockets = self.root / "data", self.root / "sockets"
        shutil.rmtree(self.root, ignore_errors=True)
        sockets.mkdir(parents=True)
        if demote is not None:  # root: the cluster belongs to Debian's postgres user
            entry = pwd.getpwnam("postgres")
            for path in (self.root, sockets):
                os.chown(path, entry.pw_uid, entry.pw_gid)
        initdb = [str(bin_dir / "initdb"), "-D", str(data), "-U", self.user, "--auth=trust", "-E", "UTF8"]
        run_logged([*initdb, "--no-sync"], log, preexec_fn=demote, cwd=self.root)
        self.port = self.port or free_port()
        server = [str(bin_dir / "postgres"), "-D", str(data), "-p", str(self.port), "-k", str(sockets)]
        settings = ["listen_addresses=127.0.0.1", "max_connections=300", "fsync=off", "full_page_writes=off"]
        for setting in settings:
            server += ["-c", setting]
        # SIGINT is Postgres' fast shutdown (TERM waits for every client to leave).
        processes.start("postgres", server, log, preexec=demote, cwd=self.root, stop_signal=signal.SIGINT)
        wait_for_port(self.port, STARTUP_TIMEOUT_S, processes["postgres"])
        self._create_database(bin_dir, log)

    def remove_relocated(self) -> None:
        """Remove the cluster's temporary folder once its server has stopped (a cluster under the stack's
        folder stays, as the rest of its state does)."""
        if self.relocated:
            shutil.rmtree(self.root, ignore_errors=True)

    def _create_database(self, bin_dir: Path, log: Path) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        createdb = [str(bin_dir / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", self.user, self.database]
        while True:
            try:
                run_logged(createdb, log)
                return
            except RuntimeError:  # accepting TCP before it accepts logins
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)


@dataclass
class Redis:
    """A Redis server without persistence: the Celery broker."""

    root: Path
    port: int = 0

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, processes: ProcessGroups, log_dir: Path) -> None:
        log = log_dir / "redis.log"
        server = shutil.which("redis-server") or (
            "/usr/bin/redis-server" if Path("/usr/bin/redis-server").exists() else None
        )
        if server is None:
            _apt_install(["redis-server"], log)
            server = "/usr/bin/redis-server"
        with contextlib.suppress(FileNotFoundError):
            shutil.rmtree(self.root)
        self.root.mkdir(parents=True)
        self.port = self.port or free_port()
        args = [server, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        args += ["--dir", str(self.root), "--daemonize", "no"]
        processes.start("redis", args, log, cwd=self.root)
        wait_for_port(self.port, STARTUP_TIMEOUT_S, processes["redis"])


def service_versions() -> dict[str, str]:
    """Postgres and Redis versions, for the report (empty when not installed)."""
    versions: dict[str, str] = {}
    bin_dir = postgres_bin_dir()
    commands = {"postgres": [str(bin_dir / "postgres"), "--version"] if bin_dir else None}
    commands["redis"] = ["redis-server", "--version"] if shutil.which("redis-server") else None
    for name, command in commands.items():
        if command:
            with contextlib.suppress(OSError, subprocess.SubprocessError):
                versions[name] = subprocess.run(command, capture_output=True, text=True, timeout=10).stdout.strip()
    return versions
