"""Configuration from environment variables, one class per environment."""

from __future__ import annotations

import json
import os
import secrets
from datetime import timedelta
from pathlib import Path

from modelling.levels import DEFAULT_SHARES, EXAM_LEVELS, RISK_LEVELS, Bands, check_shares
from server.sso_settings import check_local_passwords, parse_providers
from services.ingest import moodle_times

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SECRET_FILE_NAME = "secret_keys.json"
# The development secret earlier versions shipped in this repository: anyone can sign with it.
PUBLISHED_SECRETS = frozenset({"development-only-secret-change-me-0123456789"})
SYNCHRONOUS_COMMIT_VALUES = ("on", "off", "local", "remote_write", "remote_apply")


def _env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def _env_days(name: str, default: int) -> int:
    """A number of days (1 or more) from the environment; a clear refusal at start-up otherwise."""
    raw = os.environ.get(name, str(default)).strip()
    if not raw.isdigit() or int(raw) < 1:
        raise RuntimeError(f"{name} must be a whole number of days, 1 or more (not {raw!r}).")
    return int(raw)


def _env_float(name: str, default: float) -> float:
    return float(os.environ.get(name, default))


def _env_share(name: str) -> float:
    """A share from 0 to 1 (unset or empty: 0); RuntimeError naming the setting for anything else."""
    raw = (os.environ.get(name) or "").strip()
    try:
        value = float(raw) if raw else 0.0
    except ValueError:
        raise RuntimeError(f"{name} must be a number from 0 to 1, not {raw!r}.") from None
    if not 0 <= value <= 1:
        raise RuntimeError(f"{name} must be a number from 0 to 1, not {raw!r}.")
    return value


def _env_bands(name: str, default: Bands) -> list[tuple[str, float]]:
    raw = os.environ.get(name)
    if not raw:
        return list(default)
    return [(str(label), float(lower)) for label, lower in json.loads(raw)]


def _env_shares(name: str, default: tuple[float, float]) -> tuple[float, float]:
    """Two shares as JSON ([0.2, 0.3]) or comma-separated (0.2,0.3); RuntimeError naming the setting."""
    raw = (os.environ.get(name) or "").strip()
    if not raw:
        return default
    try:
        return check_shares(json.loads(raw) if raw.startswith("[") else raw.split(","))
    except ValueError as exc:  # json.JSONDecodeError is a ValueError too
        raise RuntimeError(f"{name}: {exc} (e.g. {name}=0.2,0.3)") from None


def instance_secrets(instance_dir: Path) -> dict[str, str]:
    """This instance's random signing secrets, made once and kept in a file only its owner reads."""
    path = instance_dir / SECRET_FILE_NAME
    if not path.exists():
        instance_dir.mkdir(parents=True, exist_ok=True)
        fresh = {name: secrets.token_urlsafe(48) for name in ("SECRET_KEY", "JWT_SECRET_KEY")}
        temporary = path.with_name(f".{path.name}.{os.getpid()}")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            json.dump(fresh, handle)
        # A hard link fails if another process made the file first: every process then reads
        # the same secrets (two workers starting together must sign alike).
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass
        finally:
            temporary.unlink()
    return json.loads(path.read_text())


def _env_retention_days(name: str, default: int | None) -> int | None:
    """Whole days (0 or more), or None for "never" or empty; RuntimeError naming the setting."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    raw = raw.strip().lower()
    if raw in {"", "never"}:
        return None
    if not raw.isdigit():
        raise RuntimeError(f"{name}: whole days, 0 or more, or 'never' (not {raw!r}).")
    return int(raw)


def _env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


class Config:
    """Settings shared by every environment; each value can be overridden by the environment."""

    ENV_NAME = "base"
    DEBUG = False
    TESTING = False

    def __init__(self) -> None:
        self._storage()
        self._sessions()
        self._limits()
        self._accounts()
        self._mail()
        self._early_warning()
        self._files_and_jobs()
        self._retention()
        self._sso()

    def _storage(self) -> None:
        """Where data lives: the instance folder and the database."""
        self.INSTANCE_DIR = Path(os.environ.get("INSTANCE_DIR", PROJECT_ROOT / "instance"))
        self.DATABASE_URL = os.environ.get("DATABASE_URL") or self.default_database_url()
        # PostgreSQL: "off" lets a commit return before its log record reaches the disk (a crash
        # can lose the last fraction of a second of saves, never corrupt anything): the same
        # promise SQLite makes in WAL mode with synchronous=NORMAL. "on" waits for the disk.
        self.PG_SYNCHRONOUS_COMMIT = os.environ.get("PG_SYNCHRONOUS_COMMIT", "off")

    def _sessions(self) -> None:
        """Signing secrets, tokens and cookies."""
        self.SECRET_KEY = os.environ.get("SECRET_KEY") or self.default_secret("SECRET_KEY")
        self.JWT_SECRET_KEY = os.environ.get("JWT_SECRET_KEY") or self.default_secret("JWT_SECRET_KEY")
        self.JWT_ACCESS_TOKEN_EXPIRES = timedelta(minutes=_env_int("ACCESS_TOKEN_MINUTES", 30))
        self.JWT_REFRESH_TOKEN_EXPIRES = timedelta(days=_env_int("REFRESH_TOKEN_DAYS", 14))
        # Refresh the browser's access cookie when it has less than this left.
        self.ACCESS_TOKEN_REFRESH_WINDOW = timedelta(
            minutes=_env_int("ACCESS_TOKEN_REFRESH_WINDOW_MINUTES", 15)
        )
        self.JWT_TOKEN_LOCATION = ["headers", "cookies"]
        self.JWT_COOKIE_SECURE = _env_bool("COOKIE_SECURE", self.default_cookie_secure())
        self.JWT_COOKIE_SAMESITE = "Lax"
        self.JWT_COOKIE_CSRF_PROTECT = True
        self.JWT_CSRF_IN_COOKIES = True
        self.JWT_ACCESS_COOKIE_PATH = "/"
        self.JWT_REFRESH_COOKIE_PATH = "/api/v1/auth/"
        # Session cookies: without this flask-jwt-extended gives each cookie a one-year Max-Age.
        self.JWT_SESSION_COOKIE = True
        self.SESSION_COOKIE_SECURE = self.JWT_COOKIE_SECURE
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"

    def _limits(self) -> None:
        """Request, upload and import limits, and the Moodle Logs defaults."""
        # Every body is capped at the small JSON limit; only the file upload endpoints (and the Dash
        # callbacks that carry dcc.Upload files, for administrators) accept MAX_UPLOAD_MB.
        self.MAX_CONTENT_LENGTH = _env_int("MAX_JSON_KB", 1024) * 1024
        self.MAX_UPLOAD_BYTES = _env_int("MAX_UPLOAD_MB", 200) * 1024 * 1024
        # A Dash callback body: this many KB, except a callback carrying an upload's file, which an
        # administrator may send up to MAX_UPLOAD_MB (the callback is known before the body is read).
        self.DASH_CALLBACK_MAX_KB = _env_int("DASH_CALLBACK_MAX_KB", 1024)
        # POST /activity takes up to 5,000 events or xAPI statements: room for 2 KB each.
        self.MAX_PUSH_KB = _env_int("MAX_PUSH_KB", 10240)
        # A gzip-compressed activity file may expand to this many MB, and to this many times its
        # compressed size (past 16 MB): larger expansions fail the import with a message.
        self.IMPORT_GZIP_MAX_MB = _env_int("IMPORT_GZIP_MAX_MB", 2048)
        self.IMPORT_GZIP_MAX_RATIO = _env_int("IMPORT_GZIP_MAX_RATIO", 100)
        # A JSON-lines activity file (xAPI, Caliper, Open edX) of at least IMPORT_PARALLEL_MIN_KB is
        # parsed by this many worker processes while the importing process stores (0, the default: in the
        # importing process only; the workers have not yet been measured to make imports faster).
        self.IMPORT_WORKERS = _env_int("IMPORT_WORKERS", 0)
        self.IMPORT_PARALLEL_MIN_KB = _env_int("IMPORT_PARALLEL_MIN_KB", 16384)
        # A Moodle Logs download holds the downloader's local times in their language's short format:
        # the day/month order (dmy or mdy) and IANA time zone an import uses unless it names its own.
        self.MOODLE_DATE_ORDER = os.environ.get("MOODLE_DATE_ORDER", "dmy").strip().lower()
        self.MOODLE_TIME_ZONE = os.environ.get("MOODLE_TIME_ZONE", "UTC").strip()
        # Batch scoring reads uploads in blocks of this size (memory stays flat for any file size).
        self.BATCH_BLOCK_KB = _env_int("BATCH_BLOCK_KB", 4096)

    def _accounts(self) -> None:
        """Sign-in and registration throttling, password hashing, proxies, contacts."""
        # Sign-in throttling: failures allowed in the window for one name from one address, and for
        # one address overall; the owner signing in from another address is never held back.
        self.LOGIN_WINDOW = timedelta(minutes=_env_int("LOGIN_WINDOW_MINUTES", 15))
        self.LOGIN_MAX_FAILURES_PER_ACCOUNT_ADDRESS = _env_int("LOGIN_MAX_FAILURES_PER_ACCOUNT_ADDRESS", 5)
        self.LOGIN_MAX_FAILURES_PER_ADDRESS = _env_int("LOGIN_MAX_FAILURES_PER_ADDRESS", 20)
        # Registration throttling per address: attempts that reach the store, and of those the ones
        # answered "taken" (which tell whether an account exists, so they are limited harder).
        self.REGISTER_WINDOW = timedelta(minutes=_env_int("REGISTER_WINDOW_MINUTES", 60))
        self.REGISTER_MAX_PER_ADDRESS = _env_int("REGISTER_MAX_PER_ADDRESS", 20)
        self.REGISTER_MAX_TAKEN_PER_ADDRESS = _env_int("REGISTER_MAX_TAKEN_PER_ADDRESS", 5)
        # argon2id cost; lowered only for the test suite.
        self.ARGON2_TIME_COST = _env_int("ARGON2_TIME_COST", 3)
        self.ARGON2_MEMORY_COST = _env_int("ARGON2_MEMORY_KIB", 65536)
        # Number of reverse proxies in front of the app whose X-Forwarded-* headers to trust.
        self.TRUSTED_PROXIES = _env_int("TRUSTED_PROXIES", 0)
        # Apply pending migrations at start-up (development); production runs db-upgrade.
        self.AUTO_MIGRATE = _env_bool("AUTO_MIGRATE", self.default_auto_migrate())
        self.CONTACT_EMAIL = os.environ.get("CONTACT_EMAIL", "student-success@example.org")
        # The Contact page (linked from every page's footer and the error pages): who helps, and when.
        self.SUPPORT_EMAIL = os.environ.get("SUPPORT_EMAIL") or self.CONTACT_EMAIL
        self.SUPPORT_HOURS = os.environ.get("SUPPORT_HOURS", "Monday to Friday, 9:00 to 17:00")

    def _mail(self) -> None:
        """Outgoing email and the links in it."""
        # Outgoing email (digests of newly flagged learners), named as Flask-Mail names them. Without
        # MAIL_SERVER no email is sent: notifications stay in the app (the bell).
        self.MAIL_SERVER = os.environ.get("MAIL_SERVER") or None
        self.MAIL_PORT = _env_int("MAIL_PORT", 25)
        self.MAIL_USE_TLS = _env_bool("MAIL_USE_TLS", False)
        self.MAIL_USE_SSL = _env_bool("MAIL_USE_SSL", False)
        self.MAIL_USERNAME = os.environ.get("MAIL_USERNAME") or None
        self.MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD") or None
        self.MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER") or self.CONTACT_EMAIL
        self.MAIL_TIMEOUT_SECONDS = _env_float("MAIL_TIMEOUT_SECONDS", 10)
        # A failed send is tried this many times in all, waiting MAIL_RETRY_SECONDS, then twice that, ...
        self.MAIL_MAX_ATTEMPTS = _env_int("MAIL_MAX_ATTEMPTS", 3)
        self.MAIL_RETRY_SECONDS = _env_float("MAIL_RETRY_SECONDS", 5)
        # Where people open the app: the links in emails start with it.
        self.PUBLIC_URL = (os.environ.get("PUBLIC_URL") or "http://127.0.0.1:8050").rstrip("/")

    def _early_warning(self) -> None:
        """Digests, the worklist, nudges, levels and the early-warning and fairness gates."""
        # A digest lists at most this many learners per course (the highest risk first); the rest are
        # counted, with a link to the course page.
        self.DIGEST_MAX_PER_COURSE = _env_int("DIGEST_MAX_PER_COURSE", 10)
        # A tutor's worklist leaves out learners someone acted on in this many days (and counts the
        # tutor's own actions of those days as done).
        self.WORKLIST_RECENT_ACTION_DAYS = _env_int("WORKLIST_RECENT_ACTION_DAYS", 7)
        # A digest email still pending this long after its notification (its process stopped) is sent
        # by the scheduler; far above what the attempts and their waits take.
        self.DIGEST_RESEND_AFTER_MINUTES = _env_float("DIGEST_RESEND_AFTER_MINUTES", 15)
        # Nudges to learners: a learner nudged fewer than NUDGE_MIN_DAYS days ago is skipped; a share
        # NUDGE_HOLDOUT_SHARE (0 to 1; 0: off) of the chosen learners is held back at random, never
        # emailed, so the nudge's effect can be measured against them.
        self.NUDGE_MIN_DAYS = _env_float("NUDGE_MIN_DAYS", 7)
        self.NUDGE_HOLDOUT_SHARE = _env_float("NUDGE_HOLDOUT_SHARE", 0)
        # Product settings: level bands of the exam score and risk bands of the dropout probability,
        # as JSON lists of [name, lower bound].
        self.EXAM_LEVELS = _env_bands("EXAM_LEVELS", EXAM_LEVELS)
        self.RISK_LEVELS = _env_bands("RISK_LEVELS", RISK_LEVELS)
        # Early-warning levels are relative to the course: on each scored day the riskiest share of a
        # course's enrollments is High and the next share Medium (the rest Low), as "High,Medium";
        # an administrator may set other shares for one course.
        self.EARLY_WARNING_LEVEL_SHARES = _env_shares("EARLY_WARNING_LEVEL_SHARES", DEFAULT_SHARES)
        # The early-warning evaluation gate: every checkpoint's course-grouped ROC AUC must reach the
        # floor and may not fall more than the margin below the active version's.
        self.EARLY_WARNING_MIN_AUC = _env_float("EARLY_WARNING_MIN_AUC", 0.65)
        self.EARLY_WARNING_MAX_AUC_DROP = _env_float("EARLY_WARNING_MAX_AUC_DROP", 0.02)
        # The fairness gate (every task with group attributes): a version whose gap between two groups in
        # the share flagged or in its recall exceeds this, even at the low end of its 95% interval, is
        # refused like one below the AUC floor (0: off).
        self.FAIRNESS_MAX_GAP = _env_share("FAIRNESS_MAX_GAP")

    def _files_and_jobs(self) -> None:
        """Model and documentation folders, uploads, background jobs and the scheduler."""
        self.ARTIFACTS_DIR = Path(os.environ.get("ARTIFACTS_DIR", PROJECT_ROOT / "artifacts"))
        # The built documentation site served at /docs (./run.sh builds it there).
        self.DOCS_SITE_DIR = Path(os.environ.get("DOCS_SITE_DIR", PROJECT_ROOT / "build" / "docs"))
        self.UPLOAD_DIR = Path(os.environ.get("UPLOAD_DIR", self.INSTANCE_DIR / "uploads"))
        # A scoring job's result file is kept this long for download, then removed.
        self.SCORED_FILE_AGE = timedelta(hours=_env_int("SCORED_FILE_HOURS", 24))
        # Background jobs: in-process worker threads, or Celery workers when REDIS_URL is set.
        self.REDIS_URL = os.environ.get("REDIS_URL") or None
        self.JOB_WORKERS = _env_int("JOB_WORKERS", 1)
        self.JOB_STALE_MINUTES = _env_int("JOB_STALE_MINUTES", 30)
        # A running job's worker stamps it this often; three missed beats mean the worker is gone.
        self.JOB_HEARTBEAT_SECONDS = _env_int("JOB_HEARTBEAT_SECONDS", 15)
        # Every serving process deletes expired token revocations this often.
        self.PURGE_INTERVAL_SECONDS = _env_int("PURGE_INTERVAL_SECONDS", 3600)
        # Who looked at whom (the access log) is kept this many days, then purged with the revocations.
        self.ACCESS_LOG_RETENTION_DAYS = _env_days("ACCESS_LOG_RETENTION_DAYS", 365)
        # Early warning: every running course is scored daily at this UTC hour at each checkpoint it
        # reached (and at every day too when SCORE_DAILY is on), by Celery beat when REDIS_URL is set,
        # else by the one serving process holding the scheduler lease (checked this often).
        self.EARLY_WARNING_SCORE_HOUR = _env_int("EARLY_WARNING_SCORE_HOUR", 2)
        self.EARLY_WARNING_SCORE_DAILY = _env_bool("EARLY_WARNING_SCORE_DAILY", False)
        # Score each imported course that reached a checkpoint as soon as its activity import finishes.
        self.EARLY_WARNING_SCORE_AFTER_IMPORT = _env_bool("EARLY_WARNING_SCORE_AFTER_IMPORT", False)
        self.EARLY_WARNING_SCHEDULER = _env_bool("EARLY_WARNING_SCHEDULER", self.default_scheduler())
        self.EARLY_WARNING_SCHEDULER_SECONDS = float(os.environ.get("EARLY_WARNING_SCHEDULER_SECONDS", 60))

    def _retention(self) -> None:
        """Retention of finished courses and what students see."""
        # Retention of finished courses: days after a course's last day that each kind of row is kept
        # ("never": kept forever). The raw event keys serve only to count an event once when a file is
        # imported again; the daily counts feed training and the reports; then the scores and actions.
        self.RETENTION_EVENT_KEYS_DAYS = _env_retention_days("RETENTION_EVENT_KEYS_DAYS", 180)
        self.RETENTION_ACTIVITY_DAYS = _env_retention_days("RETENTION_ACTIVITY_DAYS", 730)
        self.RETENTION_PREDICTIONS_DAYS = _env_retention_days("RETENTION_PREDICTIONS_DAYS", 730)
        self.RETENTION_ACTIONS_DAYS = _env_retention_days("RETENTION_ACTIONS_DAYS", 1095)
        # The daily purge deletes at most this many rows per transaction, from this UTC hour on.
        self.RETENTION_BATCH_ROWS = _env_int("RETENTION_BATCH_ROWS", 5000)
        self.RETENTION_PURGE_HOUR = _env_int("RETENTION_PURGE_HOUR", 3)
        # The daily purge in the serving process (off in the test suite, whose tests run it themselves).
        self.RETENTION_SCHEDULER = _env_bool("RETENTION_SCHEDULER", self.default_scheduler())
        # A student linked to an enrollment sees its risk and reasons only when this is on.
        self.STUDENT_SEES_OWN_RISK = _env_bool("STUDENT_SEES_OWN_RISK", False)

    def _sso(self) -> None:
        """Single sign-on and local passwords."""
        # Single sign-on: OpenID Connect providers as JSON (docs/sso.md); LOCAL_PASSWORDS=off leaves
        # only them (the password form hidden, password sign-in and self-registration refused).
        self.OIDC_PROVIDERS = parse_providers(os.environ.get("OIDC_PROVIDERS"))
        self.LOCAL_PASSWORDS = _env_bool("LOCAL_PASSWORDS", True)

    def default_database_url(self) -> str:
        return f"sqlite:///{self.INSTANCE_DIR / 'ssa.db'}"

    def default_scheduler(self) -> bool:
        return True

    def default_secret(self, name: str) -> str | None:
        return None

    def default_cookie_secure(self) -> bool:
        return True

    def default_auto_migrate(self) -> bool:
        return False

    def validate(self) -> None:
        """Refuse to run with settings that are unsafe for this environment."""
        published = [n for n in ("SECRET_KEY", "JWT_SECRET_KEY") if getattr(self, n) in PUBLISHED_SECRETS]
        if published:
            raise RuntimeError(
                f"{' and '.join(published)} is a value published in this project's history; set a new one."
            )
        if self.PG_SYNCHRONOUS_COMMIT not in SYNCHRONOUS_COMMIT_VALUES:
            raise RuntimeError(
                f"PG_SYNCHRONOUS_COMMIT must be one of {', '.join(SYNCHRONOUS_COMMIT_VALUES)}."
            )
        if self.MAIL_USE_TLS and self.MAIL_USE_SSL:
            raise RuntimeError("Set MAIL_USE_TLS (STARTTLS) or MAIL_USE_SSL (SMTPS), not both.")
        if not 0 <= self.NUDGE_HOLDOUT_SHARE < 1 or self.NUDGE_MIN_DAYS < 0:
            raise RuntimeError("NUDGE_HOLDOUT_SHARE must be from 0 to below 1; NUDGE_MIN_DAYS 0 or more.")
        wrong = moodle_times.problems(self.MOODLE_DATE_ORDER, self.MOODLE_TIME_ZONE)
        if wrong:
            raise RuntimeError("; ".join(f"MOODLE_{field.upper()}: {why}" for field, why in wrong.items()))
        check_local_passwords(self.LOCAL_PASSWORDS, self.OIDC_PROVIDERS)
        if not 1 <= self.RETENTION_BATCH_ROWS <= 100_000 or not 0 <= self.RETENTION_PURGE_HOUR <= 23:
            raise RuntimeError("RETENTION_BATCH_ROWS must be from 1 to 100000; RETENTION_PURGE_HOUR 0 to 23.")
        try:
            check_shares(self.EARLY_WARNING_LEVEL_SHARES)
        except ValueError as exc:
            raise RuntimeError(f"EARLY_WARNING_LEVEL_SHARES: {exc}") from None


class DevelopmentConfig(Config):
    """Zero-configuration local use: SQLite under instance/, random secrets kept in instance/."""

    ENV_NAME = "development"
    DEBUG = True

    def default_secret(self, name: str) -> str:
        return instance_secrets(self.INSTANCE_DIR)[name]

    def default_cookie_secure(self) -> bool:
        return False

    def default_auto_migrate(self) -> bool:
        return True


class TestingConfig(DevelopmentConfig):
    """The test suite: cheap password hashing, its own database URL."""

    ENV_NAME = "testing"
    DEBUG = False
    TESTING = True

    def __init__(self) -> None:
        super().__init__()
        self.ARGON2_TIME_COST = 1
        self.ARGON2_MEMORY_COST = 1024

    def default_scheduler(self) -> bool:
        return False  # a test starts the scheduler itself


class ProductionConfig(Config):
    """Real deployments: secrets must come from the environment, cookies are Secure."""

    ENV_NAME = "production"

    def validate(self) -> None:
        super().validate()
        missing = [name for name in ("SECRET_KEY", "JWT_SECRET_KEY") if not getattr(self, name)]
        if missing:
            raise RuntimeError(
                f"Production needs {' and '.join(missing)} set in the environment (a long random value each)."
            )
        short = [n for n in ("SECRET_KEY", "JWT_SECRET_KEY") if len(getattr(self, n)) < 32]
        if short:
            raise RuntimeError(f"{' and '.join(short)} must be at least 32 characters long.")


CONFIGS: dict[str, type[Config]] = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def load_config(name: str | None = None) -> Config:
    """Build the configuration named by `name` or by the APP_ENV variable (default development)."""
    name = (name or os.environ.get("APP_ENV") or "development").lower()
    if name not in CONFIGS:
        raise RuntimeError(f"APP_ENV must be one of {', '.join(CONFIGS)}, not {name!r}.")
    config = CONFIGS[name]()
    config.validate()
    return config
