"""A PostgreSQL database for a benchmark: created when the server does not have it yet."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit


def create_database_if_missing(url: str) -> None:
    """Create the database named in `url` on its server (through the `postgres` database)."""
    import psycopg2
    from psycopg2 import sql

    parts = urlsplit(url.replace("postgresql+pool://", "postgresql://"))
    name = parts.path.lstrip("/")
    connection = psycopg2.connect(urlunsplit(parts._replace(path="/postgres")))
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
            if cursor.fetchone() is None:
                cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    finally:
        connection.close()


def empty_database(url: str):
    """The database at `url` bound as the app's, every table dropped (PostgreSQL: created if missing)."""
    from db.connection import bind_database

    if url.startswith("postgres"):
        create_database_if_missing(url)
    database = bind_database(url)
    for table in database.get_tables():
        database.execute_sql(f'DROP TABLE IF EXISTS "{table}" CASCADE')
    return database
