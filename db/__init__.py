"""Peewee store: connection, models with their queries, versioned migrations."""
