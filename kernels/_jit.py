"""The one place where the Numba decorators are configured.

``njit`` compiles a serial kernel, ``pjit`` a kernel that runs its ``prange``
loops on all threads. Both release the GIL and cache their machine code on disk.
Set ``NUMBA_DISABLE_JIT=1`` to run every kernel as plain Python (the tests do
so once, to check the pure-Python path).
"""

from __future__ import annotations

import numba

njit = numba.njit(nogil=True, cache=True)
pjit = numba.njit(nogil=True, cache=True, parallel=True)
inline = numba.njit(nogil=True, cache=True, inline="always")
"""A small helper compiled into each kernel that calls it (no call in the inner loop)."""
prange = numba.prange
