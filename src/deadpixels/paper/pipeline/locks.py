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
from pathlib import Path

#: How long a load or a save waits for another writer of the same folder before it gives up
#: (seconds). A save holds its lock for the seconds its files take to write, never for a computation.
WAIT_S = 600.0
POLL_S = 0.05


class LockTimeout(TimeoutError):
    """Another live process held the lock for longer than the wait allowed."""


def lock_path(folder: Path, kind: str = "lock") -> Path:
    """The lock file of ``folder``: a hidden sibling (``.<name>.<kind>``), kept between uses; ``kind``
    tells apart locks of one folder that guard different things (a save, a cell's computation)."""
    return folder.with_name(f".{folder.name}.{kind}")


@contextmanager
def locked(path: Path, exclusive: bool = True, wait_s: float | None = WAIT_S, optional: bool = False) -> Iterator[bool]:
    """Hold ``flock`` on ``path`` (created if missing): exclusive for writers, shared for readers.
    Waits up to ``wait_s`` seconds (None: as long as it takes, for a holder that is computing) and
    raises :class:`LockTimeout` naming the file after that. With ``optional``, a lock file that
    cannot be created (read-only folder) yields False and the caller goes on unlocked."""
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


__all__ = ["WAIT_S", "LockTimeout", "lock_path", "locked"]
