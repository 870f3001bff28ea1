"""Passwords are stored only as argon2id hashes, never in clear, never logged."""

from __future__ import annotations

import logging

from db.connection import database
from db.models import User
from services import passwords

SECRET = "Unmistakable-Secret-9731"
NEW_SECRET = "Another-Unmistakable-8642"


def test_stored_hash_is_argon2id_and_salted(app, make_user):
    first = make_user(password=SECRET)
    second = make_user(password=SECRET)
    with app.app_context():
        rows = User.select(User.password_hash).where(User.id.in_([first.id, second.id])).tuples()
    hashes = [row[0] for row in rows]
    assert all(h.startswith("$argon2id$") for h in hashes)
    assert hashes[0] != hashes[1], "two equal passwords must hash differently (salt)"


def test_clear_password_is_nowhere_in_the_database_or_logs(app, client, make_user, caplog):
    caplog.set_level(logging.DEBUG)
    account = make_user(password=SECRET)
    client.post("/api/v1/auth/login", json={"username": account.username, "password": "wrong-" + SECRET})
    tokens = client.post("/api/v1/auth/login", json={"username": account.username, "password": SECRET}).json
    client.post(
        "/api/v1/me/password",
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
        json={"current_password": SECRET, "new_password": NEW_SECRET},
    )
    with app.app_context():
        dump = []
        for table in database.get_tables():
            dump.extend(str(row) for row in database.execute_sql(f'SELECT * FROM "{table}"').fetchall())
    text = "\n".join(dump) + caplog.text
    assert SECRET not in text and NEW_SECRET not in text


def test_verify_and_policy():
    hashed = passwords.hash_password(SECRET)
    assert passwords.verify_password(hashed, SECRET)
    assert not passwords.verify_password(hashed, SECRET + "x")
    assert not passwords.verify_password("not-a-hash", SECRET)
    assert passwords.policy_problem("short", "bob")
    assert passwords.policy_problem("bobbybobby", "BobbyBobby")
    assert passwords.policy_problem("aaaaaaaaaa", "bob")
    assert passwords.policy_problem("good-password-1", "bob") is None
