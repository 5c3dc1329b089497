"""Named child processes, each in its own process group, that can be signalled, restarted and stopped.

Every child is started with ``start_new_session``, so one signal reaches it and everything it spawned
(an Airflow task runner, Celery's pool, a log server). ``stop_all`` leaves nothing behind: TERM to every
group, a grace period, then KILL.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

GRACE_S = 10.0


@dataclass
class Child:
    """One named process: how it was started, so it can be started again."""

    name: str
    args: list[str]
    log: Path
    env: dict[str, str] | None
    cwd: Path | None
    preexec: Callable[[], None] | None = None
    stop_signal: int = signal.SIGTERM
    proc: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None


def venv_tool(name: str) -> str:
    """A console script of this environment (beside the running Python; ``uv run`` also puts it on PATH)."""
    local = Path(sys.executable).parent / name
    found = str(local) if local.exists() else shutil.which(name)
    if not found:
        raise SystemExit(f"{name!r} not found: run `make env` first")
    return found


def _signal_group(pid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)


class ProcessGroups:
    """The children of one run, by name; output of each goes to its own log file."""

    def __init__(self, say: Callable[[str], None] = print) -> None:
        self._children: dict[str, Child] = {}
        self._say = say

    def start(
        self,
        name: str,
        args: Sequence[str],
        log: Path,
        *,
        env: dict[str, str] | None = None,
        cwd: Path | None = None,
        preexec: Callable[[], None] | None = None,
        stop_signal: int = signal.SIGTERM,
    ) -> Child:
        """Start ``args`` as ``name`` in a new session, appending stdout and stderr to ``log``."""
        if name in self._children and self._children[name].running:
            raise RuntimeError(f"{name} is already running")
        child = Child(name, list(args), log, env, cwd, preexec, stop_signal)
        self._children[name] = child
        self._spawn(child)
        return child

    def _spawn(self, child: Child) -> None:
        child.log.parent.mkdir(parents=True, exist_ok=True)
        with child.log.open("ab") as out:
            child.proc = subprocess.Popen(
                child.args,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                env=child.env,
                cwd=child.cwd,
                start_new_session=True,
                preexec_fn=child.preexec,
            )

    def __getitem__(self, name: str) -> Child:
        return self._children[name]

    def names(self) -> list[str]:
        return list(self._children)

    def signal(self, name: str, sig: int) -> None:
        """Send ``sig`` to the whole process group of ``name`` (SIGKILL, SIGSTOP, SIGCONT, ...)."""
        child = self._children[name]
        if child.proc is not None:
            _signal_group(child.proc.pid, sig)

    def kill(self, name: str) -> None:
        """kill -9 the process group of ``name`` and reap it."""
        self.signal(name, signal.SIGKILL)
        proc = self._children[name].proc
        if proc is not None:
            proc.wait()

    def restart(self, name: str) -> Child:
        """Stop ``name`` if it still runs, then start it again with the same command and environment."""
        child = self._children[name]
        self.stop(name)
        self._spawn(child)
        return child

    def stop(self, name: str, grace_s: float = GRACE_S) -> None:
        """TERM the process group of ``name``, KILL it after ``grace_s``."""
        self._stop([self._children[name]], grace_s)

    def stop_all(self, grace_s: float = GRACE_S) -> None:
        """Stop every child, newest first, then make sure no process of any group is left."""
        children = list(reversed(self._children.values()))
        self._stop(children, grace_s)

    def _stop(self, children: Sequence[Child], grace_s: float) -> None:
        live = [c for c in children if c.running]
        for child in live:
            assert child.proc is not None
            self._say(f"stopping {child.name} (process group {child.proc.pid})")
            _signal_group(child.proc.pid, signal.SIGCONT)  # a frozen process cannot act on TERM
            _signal_group(child.proc.pid, child.stop_signal)
        deadline = time.monotonic() + grace_s
        for child in children:
            if child.proc is None:
                continue
            try:
                child.proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                _signal_group(child.proc.pid, signal.SIGKILL)
                child.proc.wait()
            # Grandchildren still in the group (a task runner, a pool process) go too.
            _signal_group(child.proc.pid, signal.SIGKILL)


def raise_on_termination() -> None:
    """Turn SIGTERM and SIGINT into KeyboardInterrupt, so ``finally`` blocks stop what was started."""

    def interrupted(signum: int, _frame: Any) -> None:
        raise KeyboardInterrupt(signal.Signals(signum).name)

    signal.signal(signal.SIGTERM, interrupted)
    signal.signal(signal.SIGINT, interrupted)


def ignore_termination() -> None:
    """While cleaning up, a second Ctrl-C must not cut the clean-up short."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)


def run_then_stop(processes: ProcessGroups, body: Callable[[], int], interrupted: Callable[[str], int]) -> int:
    """``body()``'s exit code; on SIGINT or SIGTERM, ``interrupted(signal name)``'s. Every child is stopped after.

    For a script whose children all live in ``processes``: Ctrl-C lands as an exception, and clean-up runs
    with both signals ignored, so a second Ctrl-C cannot leave a child behind.
    """
    raise_on_termination()
    try:
        return body()
    except KeyboardInterrupt as interrupt:
        return interrupted(str(interrupt) or "SIGINT")
    finally:
        ignore_termination()
        processes.stop_all()


def run_logged(args: Sequence[str], log: Path, **kwargs: Any) -> None:
    """Run a one-off command to completion in its own session, output appended to ``log``; raise on failure."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        proc = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, start_new_session=True, **kwargs)
        try:
            code = proc.wait()
        except BaseException:
            _signal_group(proc.pid, signal.SIGKILL)
            proc.wait()
            raise
    if code != 0:
        tail = "".join(log.read_text(errors="replace").splitlines(keepends=True)[-30:])
        raise RuntimeError(f"{' '.join(map(str, args))} failed with exit code {code}; end of {log}:\n{tail}")
