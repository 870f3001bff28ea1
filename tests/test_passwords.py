"""Passwords are stored only as argon2id hashes, never in clear, never logged."""

from __future__ import annotations

import logging

from db.connection import database
from db.tables import User
from services import passwords
from tests.helpers import assert_error

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


def test_guessable_passwords_are_refused_with_the_reason():
    for weak in ("password", "12345678", " " * 8, "qwertyuiop", "aaaaaaaaaa"):
        problem = passwords.policy_problem(weak, "bob")
        assert problem and problem.startswith("This password is too easy to guess."), (weak, problem)
    assert "common password" in passwords.policy_problem("password", "bob")
    # The account's own name and email count as known words.
    assert passwords.policy_problem("ada-lovelace", "ada", "ada@example.org", "Ada Lovelace")


def test_passwords_built_from_the_username_are_refused():
    for built in ("stud-b-stud-b", "Stud-B-Stud-B", "b-duts-b-duts", "stud-b.2026.stud-b", "stud-bstud-b"):
        problem = passwords.policy_problem(built, "stud-b", "stud-b@example.org", "Stud Bee")
        assert problem == "The password must not be built from your username, e-mail or name.", built
    assert passwords.policy_problem("lovelace.lovelace", "ada", "ada@example.org", "Ada Lovelace")
    # A strong password that merely contains the username is not refused for it.
    assert passwords.policy_problem("stud-b Tundra-Quokka-Verdigris-91", "stud-b") is None


def test_register_and_password_change_refuse_a_weak_password(client, make_user, bearer):
    response = client.post(
        "/api/v1/auth/register",
        json={"username": "weakling", "email": "w@example.org", "password": "12345678"},
    )
    assert "too easy to guess" in assert_error(response, 422, "invalid")["fields"]["password"]
    account = make_user()
    response = client.post(
        "/api/v1/me/password",
        headers=bearer(account),
        json={"current_password": account.password, "new_password": "password"},
    )
    assert "common password" in assert_error(response, 422)["fields"]["new_password"]
