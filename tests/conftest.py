"""Suite-wide settings: nothing the suite writes lands in the repository, and workers do not oversubscribe.

Hypothesis keeps no example database and puts its caches in a temporary
folder. The ``suite`` profile is derandomised: every run tries the same examples
(a failure seen once is seen again); ``HYPOTHESIS_PROFILE=explore`` draws new
random examples instead, to look further. The example counts of the property
tests are sized for their property (about 100 for the kernels' brute-force
equalities on small grids). The helper modules of the suite (``helpers``, ``scenes``,
``report_scene``…) are importable through pytest's ``pythonpath`` setting in
``pyproject.toml``.

Under pytest-xdist each worker gives its Numba kernels its share of the cores
(cores // workers, at least 1; the parallel kernels spin-wait, so that two
workers each running one thread per core are several times slower). It is set
before Numba is imported and passes on to the commands the tests start.

A suite started as a background job of a shell without job control (``pytest ... &`` in a script, some
CI runners) inherits Ctrl-C *ignored*, and so would every command it starts: the tests of Ctrl-C
could not pass. Each process of the suite puts Python's own Ctrl-C handler back (the state of a
program started in a terminal); the commands the tests start then get the default.
"""

import os
import signal
import tempfile

from hypothesis import settings
from hypothesis.configuration import set_hypothesis_home_dir

if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

_workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "0"))
if _workers > 1 and "NUMBA_NUM_THREADS" not in os.environ:
    os.environ["NUMBA_NUM_THREADS"] = str(max(1, (os.cpu_count() or 1) // _workers))

set_hypothesis_home_dir(tempfile.mkdtemp(prefix="cadastre-hypothesis-"))
settings.register_profile("suite", database=None, derandomize=True)
settings.register_profile("explore", database=None, derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "suite"))
