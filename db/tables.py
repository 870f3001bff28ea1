"""Peewee models and the queries that belong to them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import peewee

from db import statements
from db.connection import database
from db.fields import BinaryJSONField, JSONField

ROLES = ("student", "tutor", "admin")
STAFF_ROLES = ("tutor", "admin")


def utcnow() -> datetime:
    """Current UTC time as a naive datetime (stored the same way on every backend)."""
    return datetime.now(UTC).replace(tzinfo=None)


class BaseModel(peewee.Model):
    class Meta:
        database = database


class User(BaseModel):
    """An account: a student or an administrator."""

    username = peewee.CharField(max_length=64, unique=True)
    email = peewee.CharField(max_length=254, unique=True)
    password_hash = peewee.CharField(max_length=255)
    full_name = peewee.CharField(max_length=120, default="")
    role = peewee.CharField(max_length=16, default="student", index=True)
    is_active = peewee.BooleanField(default=True)
    # Bumped when the password changes: tokens carrying an older epoch stop working.
    token_epoch = peewee.IntegerField(default=0)
    created_at = peewee.DateTimeField(default=utcnow)
    last_login_at = peewee.DateTimeField(null=True)
    # Tutors' digests of newly flagged learners; each user can turn them off.
    email_notifications = peewee.BooleanField(default=True)
    # Up to when the user marked the news on their Home seen ("Mark as seen"): what is new came after it.
    # (Named for visits, which moved it until a look at a learner and Back emptied the news.)
    last_visit_at = peewee.DateTimeField(null=True)
    # How many learners a tutor's worklist ("This week" on Home) lists at most.
    worklist_capacity = peewee.IntegerField(default=25)

    class Meta:
        table_name = "users"

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def is_staff(self) -> bool:
        """A tutor or an administrator: someone who acts on courses."""
        return self.role in STAFF_ROLES

    @classmethod
    def by_id(cls, user_id: int) -> User | None:
        """The user with this id, or None (asked on every authenticated request)."""
        return statements.select_one(cls, ["id"], [user_id])

    @classmethod
    def for_token(cls, user_id: int, identifiers: list[str]) -> tuple[User | None, bool]:
        """The token's user (or None) and whether any of the token's identifiers was revoked,
        in one query (asked on every authenticated request)."""
        return statements.select_one_and_exists(
            cls, user_id, RevokedToken._meta.table_name, RevokedToken.jti.column_name, identifiers
        )

    @classmethod
    def by_login(cls, login: str) -> User | None:
        """The user whose username or email is `login` (case-insensitive)."""
        login = login.strip().lower()
        field = cls.email if "@" in login else cls.username
        return cls.get_or_none(field == login)

    @classmethod
    def locked_for_update(cls, user_id: int) -> User | None:
        """The user, its row locked until the transaction ends (PostgreSQL; SQLite locks the file)."""
        query = cls.select().where(cls.id == user_id)
        return (query.for_update() if database.obj.for_update else query).first()

    @classmethod
    def locked_active_admin_ids(cls) -> list[int]:
        """Ids of the active administrators, their rows locked until the transaction ends."""
        query = cls.select(cls.id).where((cls.role == "admin") & (cls.is_active == True)).order_by(cls.id)  # noqa: E712
        if database.obj.for_update:
            query = query.for_update()
        return [row.id for row in query]

    @classmethod
    def search(cls, text: str | None, role: str | None, page: int, per_page: int):
        """Users matching a name/email fragment and role, by username, with the total count."""
        query = cls.select()
        if text:
            # contains() escapes % and _ so they match only themselves, on both stores.
            fragment = text.strip().lower()
            matches = [field.contains(fragment) for field in (cls.username, cls.email, cls.full_name)]
            query = query.where(matches[0] | matches[1] | matches[2])
        if role:
            query = query.where(cls.role == role)
        total = query.count()
        return query.order_by(cls.username).paginate(page, per_page), total

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "username": self.username,
            "email": self.email,
            "full_name": self.full_name,
            "role": self.role,
            "is_active": self.is_active,
            "created_at": self.created_at,
            "last_login_at": self.last_login_at,
            "email_notifications": self.email_notifications,
        }


class Activity(BaseModel):
    """One line of the activity log: who did what, when, from where."""

    user = peewee.ForeignKeyField(User, null=True, backref="activities", on_delete="CASCADE")
    action = peewee.CharField(max_length=40)
    ip_address = peewee.CharField(max_length=45, null=True)
    detail = JSONField(default=dict)
    created_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        table_name = "activity"
        indexes = (
            (("user", "created_at"), False),
            (("action", "ip_address", "created_at"), False),
        )

    @classmethod
    def record(cls, action: str, user: User | None, ip_address: str | None, **detail: Any) -> int:
        """Append one entry; returns its id."""
        row = {"user": user, "action": action, "ip_address": ip_address, "detail": detail}
        return statements.insert(cls, row)

    @classmethod
    def for_user(cls, user: User, page: int, per_page: int):
        """A user's entries, newest first, with the total count."""
        query = cls.select().where(cls.user == user)
        total = query.count()
        rows = query.order_by(cls.created_at.desc(), cls.id.desc()).paginate(page, per_page)
        return rows, total

    @classmethod
    def failures_since(cls, since: datetime, *, user: User | None = None, ip: str | None = None):
        """Failed sign-ins since `since` for an account or an address."""
        query = cls.select().where((cls.action == "login_failed") & (cls.created_at >= since))
        if user is not None:
            query = query.where(cls.user == user)
        if ip is not None:
            query = query.where(cls.ip_address == ip)
        return query.count()

    @classmethod
    def unknown_logins_failed_since(cls, since: datetime, ip: str) -> list[str]:
        """The names tried from `ip` since `since` that matched no account."""
        query = cls.select(cls.detail).where(
            (cls.action == "login_failed")
            & (cls.created_at >= since)
            & (cls.ip_address == ip)
            & cls.user.is_null()
        )
        return [str(row.detail.get("login", "")) for row in query]

    @classmethod
    def count_since(cls, actions: list[str], since: datetime, ip: str) -> int:
        """Entries with one of `actions` from `ip` since `since`."""
        query = cls.select().where(
            cls.action.in_(actions) & (cls.created_at >= since) & (cls.ip_address == ip)
        )
        return query.count()

    @classmethod
    def last_success(cls, user: User, ip: str) -> datetime | None:
        """When the user last signed in successfully from `ip`."""
        row = (
            cls.select(cls.created_at)
            .where((cls.user == user) & (cls.action == "login") & (cls.ip_address == ip))
            .order_by(cls.created_at.desc())
            .first()
        )
        return row.created_at if row else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "action": self.action,
            "ip_address": self.ip_address,
            "detail": self.detail,
            "created_at": self.created_at,
        }


class RevokedToken(BaseModel):
    """A token (or a whole sign-in session) that may no longer be used."""

    jti = peewee.CharField(max_length=64, unique=True)
    revoked_at = peewee.DateTimeField(default=utcnow)
    expires_at = peewee.DateTimeField(index=True)

    class Meta:
        table_name = "revoked_tokens"

    @classmethod
    def revoke(cls, identifiers: list[str], expires_at: datetime) -> None:
        """Revoke every identifier (idempotent)."""
        rows = [{"jti": jti, "expires_at": expires_at} for jti in identifiers]
        cls.insert_many(rows).on_conflict_ignore().execute()

    @classmethod
    def any_revoked(cls, identifiers: list[str]) -> bool:
        """True if any of the identifiers has been revoked."""
        return statements.exists_in(cls._meta.table_name, cls.jti.column_name, identifiers)

    @classmethod
    def purge_expired(cls, now: datetime) -> int:
        """Forget revocations of tokens that have expired anyway."""
        return cls.delete().where(cls.expires_at < now).execute()


class ModelVersion(BaseModel):
    """One trained model version of a task; its files live under artifacts/<task>/v<version>/ (or a
    name beside it when that folder was already taken: `artifact_dir` says)."""

    task = peewee.CharField(max_length=16)
    version = peewee.IntegerField()
    algorithm = peewee.CharField(max_length=40)
    metrics = JSONField(default=dict)
    candidates = JSONField(default=list)
    data_fingerprint = peewee.CharField(max_length=64)
    data_source = peewee.CharField(max_length=255)
    rows = peewee.IntegerField()
    library_versions = JSONField(default=dict)
    # The fairness report(s) by the task's group attributes and the gate's verdict on them (null: none).
    fairness = JSONField(null=True)
    artifact_dir = peewee.CharField(max_length=255)
    is_active = peewee.BooleanField(default=False)
    created_by = peewee.ForeignKeyField(User, null=True, on_delete="SET NULL")
    created_at = peewee.DateTimeField(default=utcnow)
    activated_at = peewee.DateTimeField(null=True)

    class Meta:
        table_name = "model_versions"
        indexes = (
            (("task", "version"), True),
            (("task", "is_active"), False),
        )

    @classmethod
    def active(cls, task: str) -> ModelVersion | None:
        """The version serving `task`, if any."""
        return statements.select_one(cls, ["task", "is_active"], [task, True])

    @classmethod
    def active_identity(cls, task: str) -> tuple | None:
        """What tells the version serving `task` apart from any other, even from a row that reuses
        its id after the database was emptied: (id, artifact_dir, created_at), or None. Read on
        every prediction, so no model object is built."""
        return statements.select_values(
            cls._meta.table_name, ["id", "artifact_dir", "created_at"], ["task", "is_active"], [task, True]
        )

    @classmethod
    def find(cls, task: str, version: int) -> ModelVersion | None:
        return cls.get_or_none((cls.task == task) & (cls.version == version))

    @classmethod
    def next_number(cls, task: str) -> int:
        """The version number the next trained model of `task` gets."""
        latest = cls.select(peewee.fn.MAX(cls.version)).where(cls.task == task).scalar()
        return (latest or 0) + 1

    @classmethod
    def for_task(cls, task: str | None = None):
        """Versions newest first, optionally of one task."""
        query = cls.select()
        if task:
            query = query.where(cls.task == task)
        return query.order_by(cls.task, cls.version.desc())

    @classmethod
    def make_active(cls, row: ModelVersion) -> None:
        """Mark `row` as the one serving its task and every other version of it as not (atomic)."""
        with cls._meta.database.atomic():
            cls.update(is_active=False).where((cls.task == row.task) & (cls.is_active == True)).execute()  # noqa: E712
            cls.update(is_active=True, activated_at=utcnow()).where(cls.id == row.id).execute()


class Record(BaseModel):
    """A saved prediction: who, for which student, the inputs, the headline output and the model
    version. The full outputs (explanation, recommendations: four fifths of a record's bytes) are
    kept in `RecordOutputs`, so that lists, filters and exports scan narrow rows."""

    user = peewee.ForeignKeyField(User, backref="records", on_delete="CASCADE")
    task = peewee.CharField(max_length=16)
    student_ref = peewee.CharField(max_length=64, null=True)
    inputs = BinaryJSONField()
    model_version = peewee.IntegerField()
    # The headline output, kept in columns so lists, filters and aggregates use indexes and SQL:
    # exam score or dropout probability, and its level or risk level. Double precision: Peewee's
    # FloatField is a 4-byte REAL on PostgreSQL, which would store 0.2 as 0.20000000298.
    value = peewee.DoubleField()
    level = peewee.CharField(max_length=32)
    # The exam score's 90% interval (None for dropout), for the export without reading the outputs.
    interval_low = peewee.DoubleField(null=True)
    interval_high = peewee.DoubleField(null=True)
    created_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        table_name = "records"
        indexes = (
            (("created_at", "id"), False),
            (("user", "created_at"), False),
            (("user", "task", "created_at"), False),
            (("task", "created_at"), False),
            (("task", "level", "created_at"), False),
            (("task", "student_ref", "created_at"), False),
        )

    @classmethod
    def add(cls, outputs: dict[str, Any], **values: Any) -> int:
        """Store one record and its outputs; returns the record's id. Call it inside the caller's
        `atomic()` block, so that both rows or neither are stored."""
        record_id = statements.insert(cls, values)
        statements.insert(RecordOutputs, {"record": record_id, "outputs": outputs})
        return record_id

    @classmethod
    def add_many(cls, rows: list[dict[str, Any]]) -> None:
        """Store many records, each row holding its `outputs`, which is taken out of the row
        (inside the caller's `atomic()`)."""
        outputs = [row.pop("outputs") for row in rows]
        cursor = database.execute_sql(*cls.insert_many(rows).returning(cls.id).sql())
        # Ids are handed out in the order of the rows in one INSERT on SQLite and PostgreSQL alike;
        # RETURNING lists them in no promised order, so they are sorted back into it.
        ids = sorted(row[0] for row in cursor.fetchall())
        RecordOutputs.insert_many(
            [{"record": record_id, "outputs": output} for record_id, output in zip(ids, outputs, strict=True)]
        ).execute()

    @classmethod
    def count_where(cls, conditions: Sequence[statements.Condition]) -> int:
        """How many records meet `conditions` (one statement, its text made once per shape)."""
        where, params = statements.where_clause(conditions)
        text = statements.statement(
            ("records-count", statements.condition_shape(conditions)),
            lambda: f"SELECT COUNT(*) FROM {cls._meta.table_name}{where}",
        )
        return database.execute_sql(text, params).fetchone()[0]

    @classmethod
    def newest_with_outputs(cls, conditions: Sequence[statements.Condition], limit: int, offset: int) -> list:
        """Records meeting `conditions`, newest first, `limit` of them from `offset`, each with its
        `outputs`: one statement whose text is made once per shape of the conditions (Peewee took
        longer to compose this page's query than the database took to run it)."""
        where, params = statements.where_clause(conditions)
        table, outputs = cls._meta.table_name, RecordOutputs._meta.table_name

        def build() -> str:
            newest = "ORDER BY {0}created_at DESC, {0}id DESC"
            window = f"LIMIT {database.param} OFFSET {database.param}"
            shown = f"SELECT id FROM {table}{where} {newest.format('')} {window}"
            return (
                f"SELECT r.*, o.outputs FROM {table} AS r LEFT JOIN {outputs} AS o ON o.record_id = r.id"
                f" WHERE r.id IN ({shown}) {newest.format('r.')}"
            )

        text = statements.statement(("records-newest", statements.condition_shape(conditions)), build)
        cursor = database.execute_sql(text, [*params, limit, offset])
        description = cursor.description[:-1]
        records = []
        for row in cursor.fetchall():
            record = statements.model_from_row(cls, description, row[:-1])
            record.outputs = None if row[-1] is None else RecordOutputs.outputs.python_value(row[-1])
            records.append(record)
        return records

    @classmethod
    def with_outputs(cls):
        """Records with their outputs, as `record.outputs` (a query to filter further)."""
        return cls.select(cls, RecordOutputs.outputs).join(RecordOutputs, peewee.JOIN.LEFT_OUTER).objects()

    @staticmethod
    def interval_of(outputs: dict[str, Any]) -> dict[str, float | None]:
        """The interval columns of a record with these outputs."""
        interval = outputs.get("interval") or {}
        low, high = interval.get("low"), interval.get("high")
        return {
            "interval_low": None if low is None else float(low),
            "interval_high": None if high is None else float(high),
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "user_id": self.user_id,
            "task": self.task,
            "student_ref": self.student_ref,
            "inputs": self.inputs,
            "outputs": self.outputs,
            "model_version": self.model_version,
            "value": self.value,
            "level": self.level,
            "created_at": self.created_at,
        }


class RecordOutputs(BaseModel):
    """Everything a saved prediction answered (contributions, top factors, recommendations,
    interval), as the prediction response gave it."""

    record = peewee.ForeignKeyField(Record, primary_key=True, backref="details", on_delete="CASCADE")
    outputs = JSONField()

    class Meta:
        table_name = "record_outputs"


# Job parameters that stay on the server: where an upload is spooled, and the caller's address.
PRIVATE_PARAMS = ("source", "ip")


class Job(BaseModel):
    """Long work (training) run in the background: its state as the API and the dashboard show it."""

    kind = peewee.CharField(max_length=32)
    status = peewee.CharField(max_length=16, default="queued")
    progress = peewee.IntegerField(default=0)
    message = peewee.CharField(max_length=255, default="")
    params = JSONField(default=dict)
    result = JSONField(null=True)
    error = peewee.TextField(null=True)
    created_by = peewee.ForeignKeyField(User, null=True, on_delete="SET NULL")
    created_at = peewee.DateTimeField(default=utcnow)
    started_at = peewee.DateTimeField(null=True)
    updated_at = peewee.DateTimeField(default=utcnow)
    finished_at = peewee.DateTimeField(null=True)
    # "host:pid:start" of the process running it, so a job whose process died can be failed.
    owner = peewee.CharField(max_length=255, null=True)

    class Meta:
        table_name = "jobs"
        indexes = ((("status", "created_at"), False),)

    @classmethod
    def newest_unfinished(cls, kind: str) -> Job | None:
        """The newest job of this kind still queued or running, or None."""
        query = cls.select().where((cls.kind == kind) & cls.status.in_(("queued", "running")))
        return query.order_by(cls.created_at.desc(), cls.id.desc()).first()

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "status": self.status,
            "progress": self.progress,
            "message": self.message,
            "params": {name: value for name, value in (self.params or {}).items()
                       if name not in PRIVATE_PARAMS},
            "result": self.result,
            "error": self.error,
            "created_by": self.created_by_id,
            "created_at": self.created_at,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
        }


class SchemaVersion(BaseModel):
    """Which migrations have been applied."""

    version = peewee.IntegerField(primary_key=True)
    name = peewee.CharField(max_length=80)
    applied_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        table_name = "schema_version"


ALL_MODELS = [User, Activity, RevokedToken, ModelVersion, Record, RecordOutputs, Job]
