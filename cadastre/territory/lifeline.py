"""Dask worker preload: a worker of ``cadastre run``'s local cluster dies with the run's process.

distributed's own watch (a thread of the worker waiting on a pipe to its parent) needs the
interpreter's lock: while a task holds it, a worker whose parent was killed goes on writing into
the run folder for seconds, after the next run may have taken the folder's lock. On Linux the
kernel kills the worker instead (``PR_SET_PDEATHSIG``), at once, whatever it runs.

``cadastre run`` names this module in ``distributed.worker.preload`` and the parent's pid in the
environment variable :data:`PARENT_PID`.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys

PARENT_PID = "CADASTRE_RUN_PID"
"""Environment variable: the pid of the run whose cluster the worker belongs to."""
PR_SET_PDEATHSIG = 1


def tie_to_parent() -> bool:
    """Ask the kernel to kill this process when its parent ends (Linux); exit now if it has already.

    Returns whether the tie is made (False off Linux, or without :data:`PARENT_PID`).
    """
    parent = os.environ.get(PARENT_PID)
    if not sys.platform.startswith("linux") or not parent:
        return False
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0) != 0:
        return False
    if os.getppid() != int(parent):  # the parent died before the tie was made
        os._exit(1)
    return True


def dask_setup(worker=None) -> None:  # noqa: ARG001  (the preload protocol passes the worker)
    """Preload hook of a Dask worker."""
    tie_to_parent()
