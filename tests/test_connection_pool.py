"""The PostgreSQL pool: a connection handed back is reused by the next request, and one the
server ended while it sat idle is replaced (PostgreSQL only)."""

from __future__ import annotations

import psycopg2
import pytest
from playhouse.pool import PooledPostgresqlDatabase

from db.connection import open_database
from tests.helpers import TEST_DATABASE_URL

pytestmark = pytest.mark.skipif(not TEST_DATABASE_URL, reason="needs TEST_DATABASE_URL (PostgreSQL)")


@pytest.fixture()
def pool():
    db = open_database(TEST_DATABASE_URL)
    yield db
    db.close_all()


def backend_pid(db: PooledPostgresqlDatabase) -> int:
    return db.execute_sql("SELECT pg_backend_pid()").fetchone()[0]


def test_a_connection_handed_back_is_reused(pool):
    pid = backend_pid(pool)
    pool.close()
    pool.connect()
    assert backend_pid(pool) == pid
    pool.close()


def test_a_connection_the_server_ended_while_idle_is_replaced(pool):
    pid = backend_pid(pool)
    pool.close()
    with psycopg2.connect(TEST_DATABASE_URL) as admin, admin.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s, 5000)", [pid])  # waits until it has ended
    admin.close()
    replacement = backend_pid(pool)
    assert replacement != pid
    assert pool.execute_sql("SELECT 1").fetchone() == (1,)
