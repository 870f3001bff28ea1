"""The PostgreSQL pool: a connection handed back a moment ago is reused without a liveness round
trip; one idle for longer is checked, and a dead one is replaced (PostgreSQL only)."""

from __future__ import annotations

import time

import psycopg2
import pytest

from db.connection import PostgresPool, open_database
from tests.helpers import TEST_DATABASE_URL

pytestmark = pytest.mark.skipif(not TEST_DATABASE_URL, reason="needs TEST_DATABASE_URL (PostgreSQL)")


def last_statement_of(backend_pid: int) -> str:
    """What a server process last ran, as another connection sees it."""
    with psycopg2.connect(TEST_DATABASE_URL) as observer, observer.cursor() as cursor:
        cursor.execute("SELECT query FROM pg_stat_activity WHERE pid = %s", [backend_pid])
        row = cursor.fetchone()
    observer.close()
    return row[0] if row else ""


@pytest.fixture()
def pool():
    db = open_database(TEST_DATABASE_URL)
    yield db
    db.close_all()


def backend_pid(db: PostgresPool) -> int:
    return db.execute_sql("SELECT pg_backend_pid() AS marked_statement").fetchone()[0]


def test_a_connection_handed_back_just_now_is_reused_without_a_check(pool):
    pid = backend_pid(pool)
    pool.close()
    pool.connect()
    assert backend_pid(pool) == pid
    pool.close()
    pool.connect()
    assert "marked_statement" in last_statement_of(pid)
    pool.close()


def test_a_connection_idle_for_longer_is_checked_first(pool):
    pid = backend_pid(pool)
    pool.close()
    time.sleep(PostgresPool.ALIVE_BYPASS_SECONDS + 0.1)
    pool.connect()
    assert last_statement_of(pid) == "SELECT 1"
    pool.close()


def test_a_connection_the_server_ended_while_idle_is_replaced(pool):
    pid = backend_pid(pool)
    pool.close()
    with psycopg2.connect(TEST_DATABASE_URL) as admin, admin.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    admin.close()
    time.sleep(PostgresPool.ALIVE_BYPASS_SECONDS + 0.1)
    replacement = backend_pid(pool)
    assert replacement != pid
