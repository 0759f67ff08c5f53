"""A real S3 endpoint for tests: moto's server on 127.0.0.1, on a free port, in a thread.

Self-contained on purpose (no pytest, no project imports) so that tests/conftest.py can
reuse it later for the vault and API tests.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from moto.server import ThreadedMotoServer


def start_moto() -> tuple[str, Callable[[], None]]:
    """Start a moto server and return (``host:port``, ``stop``).

    Port 0 lets the kernel pick a free port, so parallel test runs never collide.  Each
    server holds its own state in memory; ``stop`` is idempotent.
    """
    # werkzeug logs one INFO line per request; the test output does not need thousands.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    stopped = False

    def stop() -> None:
        nonlocal stopped
        if not stopped:
            stopped = True
            server.stop()

    return f"{host}:{port}", stop
