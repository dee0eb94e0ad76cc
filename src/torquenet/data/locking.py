"""One writer per output: an advisory lock held while a job writes its output.

A resumable job (``simulate``, ``mc``, ``generate``, ``train``) keeps its unfinished work next
to its output and continues from it when started again.  Two copies of the same job at once (a
batch job resubmitted while the first still runs, a command typed twice) would interleave their
checkpoints and manifests.  :func:`exclusive_run` prevents that: the job holds an exclusive
``flock`` on ``<output>.lock`` for as long as it runs, and a second job for the same output is
refused with :class:`RunInUseError`, which names the holder's process id.  The kernel drops the
lock when its process ends, however it ends (SIGKILL included), so an interrupted run never
leaves a stale lock behind: rerunning the command resumes it.  Forked children (worker pools)
close their inherited copy of the lock at once, so they cannot keep it alive after the job's
own process is gone; children started by exec never inherit it (PEP 446).  POSIX only
(``fcntl``); where ``fcntl`` is missing the job runs unguarded, with a warning.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX
    fcntl = None  # type: ignore[assignment]

__all__ = ["RunInUseError", "exclusive_run", "lock_path"]

logger = logging.getLogger(__name__)

#: Descriptors of the locks this process holds.  A flock belongs to the open file, which forked
#: children (process-pool workers) share: they close their copies at once, so a lock still
#: ends with the process that took it, not with its last child.
_HELD: set[int] = set()


def _close_inherited_locks() -> None:
    for fd in _HELD:
        try:
            os.close(fd)
        except OSError:  # pragma: no cover - already closed
            pass
    _HELD.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_close_inherited_locks)


class RunInUseError(RuntimeError):
    """Another process is writing the same output right now."""


def lock_path(output: str | Path) -> Path:
    """The lock file of ``output`` (a file or a directory): ``<output>.lock`` beside it."""
    output = Path(output)
    return output.with_name(output.name + ".lock")


@contextmanager
def exclusive_run(output: str | Path) -> Iterator[None]:
    """Hold the lock of the job writing ``output`` for the duration of the block.

    Raises
    ------
    RunInUseError
        Another process holds it; the message names that process and the lock file.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     with exclusive_run(Path(d) / "run.h5"):
    ...         held = lock_path(Path(d) / "run.h5").exists()
    ...     released = not lock_path(Path(d) / "run.h5").exists()
    >>> held, released
    (True, True)
    """
    if fcntl is None:  # pragma: no cover - not POSIX
        logger.warning("no file locking on this platform: nothing stops a second %s", output)
        yield
        return
    path = lock_path(output)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = _acquire(path, Path(output))
    _HELD.add(fd)
    try:
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        yield
    finally:
        # Unlink before unlocking: a process that opened the old file meanwhile then finds
        # it unlinked (see _acquire) and retries on a fresh one.
        path.unlink(missing_ok=True)
        _HELD.discard(fd)
        os.close(fd)


def _acquire(path: Path, output: Path) -> int:
    """An open descriptor of ``path`` holding its exclusive lock."""
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 32).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise RunInUseError(
                f"{output} is being written by another process (pid {holder}; lock file "
                f"{path}): wait for it to finish or stop it, then rerun to resume"
            ) from None
        except BaseException:
            os.close(fd)
            raise
        # The holder we waited on may have unlinked the file just before we locked it; the
        # lock is ours only if the path still names the file we hold.
        try:
            same = os.stat(path).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            same = False
        if same:
            return fd
        os.close(fd)
