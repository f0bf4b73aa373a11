"""Advisory file locks that tell a live writer from a dead one without trusting a PID.

A PID says nothing on another node of a shared filesystem, in another PID namespace, or once it has
been reused. A lock does: ``flock`` is held by an open file and released by the kernel the moment
its holder dies, however it dies (SIGKILL, the OOM killer, a lost node's NFS lease expiring). So
"the lock can be taken" means "nobody is writing", on this machine or, where the filesystem supports
it, across machines: Linux's NFS client maps ``flock`` to NFS byte-range locks (NFSv4, or NLM for
v3), which the server arbitrates between clients; Lustre does the same when mounted with ``-o flock``.

Each acquisition opens the lock file anew, so two threads of one process exclude each other too.
Where no lock file can be created (a read-only checkout of the committed results) a reader goes on
without one: nobody can be writing there."""

from __future__ import annotations

import errno
import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

#: How long a load or a save waits for another writer of the same folder before it gives up
#: (seconds). A save holds its lock for the seconds its files take to write, never for a computation.
WAIT_S = 600.0
POLL_S = 0.05


class LockTimeout(TimeoutError):
    """Another live process held the lock for longer than the wait allowed."""


class LockBusy(LockTimeout):
    """Another live process is writing, and a read-only reader (:func:`read_only`) does not wait."""


_READ_ONLY: ContextVar[bool] = ContextVar("read_only", default=False)


@contextmanager
def read_only() -> Iterator[None]:
    """Within this block, readers neither create lock files (nor their folders) nor wait for a
    writer: a read-only command (``list``) writes nothing and answers at once, and a busy result
    raises :class:`LockBusy`."""
    token = _READ_ONLY.set(True)
    try:
        yield
    finally:
        _READ_ONLY.reset(token)


def is_read_only() -> bool:
    """Whether the caller is inside :func:`read_only`."""
    return _READ_ONLY.get()


@contextmanager
def _peek(path: Path) -> Iterator[bool]:
    """A shared lock taken without creating the file or waiting (see :func:`read_only`)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # no lock file: no writer ever locked this folder, or it cannot be read
        yield False
        return
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            raise LockBusy(f"{path} is held by a writer right now; try again when it has finished") from None
        yield True
    finally:
        os.close(fd)


def lock_path(folder: Path, kind: str = "lock") -> Path:
    """The lock file of ``folder``: a hidden sibling (``.<name>.<kind>``), kept between uses; ``kind``
    tells apart locks of one folder that guard different things (a save, a cell's computation)."""
    return folder.with_name(f".{folder.name}.{kind}")


@contextmanager
def locked(path: Path, exclusive: bool = True, wait_s: float | None = WAIT_S, optional: bool = False) -> Iterator[bool]:
    """Hold ``flock`` on ``path`` (created if missing): exclusive for writers, shared for readers.
    Waits up to ``wait_s`` seconds (None: as long as it takes, for a holder that is computing) and
    raises :class:`LockTimeout` naming the file after that. With ``optional``, a lock file that
    cannot be created (read-only folder) yields False and the caller goes on unlocked. A reader
    (``optional``, shared) inside :func:`read_only` only peeks: no file is created, nothing waits."""
    if optional and not exclusive and is_read_only():
        with _peek(path) as held:
            yield held
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    except OSError as exc:
        if optional and exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM, errno.ENOENT):
            yield False
            return
        raise
    try:
        mode = fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH
        deadline = None if wait_s is None else time.monotonic() + wait_s
        while True:
            try:
                fcntl.flock(fd, mode | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if deadline is not None and time.monotonic() > deadline:
                    raise LockTimeout(
                        f"{path} is held by another live process for more than {wait_s:.0f} s "
                        "(a save of the same result by a neighbour); try again when it has finished"
                    ) from None
                time.sleep(POLL_S)
        yield True
    finally:
        os.close(fd)  # releases the lock


__all__ = ["WAIT_S", "LockTimeout", "LockBusy", "lock_path", "locked", "read_only", "is_read_only"]
