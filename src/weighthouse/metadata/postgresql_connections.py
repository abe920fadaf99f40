"""PostgreSQL connections that never wait for the server without bound.

libpq bounds connecting (``connect_timeout``) and keepalives notice a peer whose host is gone,
but a server (or a proxy in front of it) that accepts bytes and never answers leaves psycopg
waiting for ever: the server's ``statement_timeout`` never runs, since the statement never
reached it. :class:`BoundedConnection` gives every wait on the socket (a statement, a ping, a
commit) a deadline; when it passes, the connection is closed, because its protocol state is
unknown, and the wait fails as a disconnection, which the pool discards and the catalog reports
as ``StorageError`` (503 with ``Retry-After``).
"""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg import errors


class BoundedConnection(psycopg.Connection[Any]):
    """A psycopg connection whose waits for the server last at most :attr:`wait_timeout`."""

    wait_timeout: float = 30.0

    def wait(self, gen: Any, interval: float = 0.1, timeout: float | None = None) -> Any:
        try:
            return super().wait(gen, interval=interval, timeout=timeout or self.wait_timeout)
        except errors._WaitTimeout:
            self.pgconn.finish()  # mid-protocol: nothing more can be said on this connection
            raise psycopg.OperationalError(
                f"the database did not answer within {self.wait_timeout} s; connection closed"
            ) from None


def bounded(wait_timeout: float) -> type[BoundedConnection]:
    """A :class:`BoundedConnection` class whose waits end after ``wait_timeout`` seconds."""
    return type("BoundedConnection", (BoundedConnection,), {"wait_timeout": wait_timeout})
