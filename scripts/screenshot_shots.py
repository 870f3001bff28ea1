"""The documentation's screenshots as data: one row per PNG under docs/screenshots/, taken by
scripts/docs_screenshots.py from the demo data."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Shot:
    """One screenshot: its file name (docs/screenshots/NAME.png), the demo role that takes it (None:
    signed out), the page, a selector that is there once the page has loaded, the steps done before
    the picture and extra environment settings for the server (a server is started per set).

    A step is "verb argument": `click SEL`, `type SEL = TEXT`, `select SEL = VALUE` (a native select),
    `upload SEL = FILE` (relative to the project folder), `wait SEL` (until it is there and the page
    has settled), `text SEL = FRAGMENT` (until the element's text holds it), `scroll SEL` (to the
    top of the window; without a scroll the picture is of the top of the page)."""

    name: str
    role: str | None
    path: str
    ready: str
    steps: tuple[str, ...] = ()
    settings: tuple[tuple[str, str], ...] = ()


# Example provider settings for the sign-in page's SSO button (nothing is asked of it until a click).
SSO_EXAMPLE = (
    (
        "OIDC_PROVIDERS",
        '{"name": "campus", "label": "University account", "issuer": "https://id.example.edu/realms/uni",'
        ' "client_id": "student-success", "client_secret": "example"}',
    ),
)
GRID_ROW = " .ag-center-cols-container .ag-row"
# Shots in the order taken; each role's shots together, so that a role signs in once. The tutor's
# shots come before the administrator's, whose Privacy page then lists the tutor's views.
SHOTS: tuple[Shot, ...] = (
    Shot("login", None, "/login", "#login-submit"),
    Shot("register", None, "/register", "#register-submit"),
    Shot("login-sso", None, "/login", "[id^=login-sso-]", settings=SSO_EXAMPLE),
    Shot("home-student", "student", "/", "#home-pages"),
    Shot(
        "predict-exam",
        "student",
        "/predict/exam-score",
        "#predict-exam-submit",
        ("click #predict-exam-submit", "click #predict-exam-save"),
    ),
    Shot(
        "predict-dropout",
        "student",
        "/predict/dropout",
        "#predict-dropout-submit",
        ("click #predict-dropout-submit", "click #predict-dropout-save"),
    ),
    Shot("trends", "student", "/trends", "#trends-examscore-graph .main-svg"),
    Shot("profile", "student", "/profile", "#profile-activity-table"),
    Shot("about", "student", "/about", "#about-text"),
    Shot("not-allowed", "student", "/users", "#_pages_content .alert-heading"),
    Shot("home-tutor", "tutor", "/", "#home-worklist"),
    Shot("courses-page", "tutor", "/courses", "#courses-table"),
    Shot("course-page", "tutor", "/course?code=DEMO-DB210", "#course-grid" + GRID_ROW),
    Shot(
        "course-at-risk-list",
        "tutor",
        "/course?code=DEMO-DB210",
        "#course-grid" + GRID_ROW,
        ("scroll #course-count",),
    ),
    Shot(
        "course-segments",
        "tutor",
        "/course?code=DEMO-DB210",
        "#course-grid" + GRID_ROW,
        ("select #course-segment = steady", "scroll #course-count"),
    ),
    Shot(
        "enrollment",
        "tutor",
        "/course?code=DEMO-PH101",
        "#course-grid" + GRID_ROW,
        (
            "select #course-segment = slipping",
            "click #course-grid a[href^='/enrollment']",
            "wait #enrollment-actions",
        ),
    ),
    Shot(
        "enrollment-actions",
        "tutor",
        "/course?code=DEMO-PH101",
        "#course-grid" + GRID_ROW,
        (
            "select #course-segment = slipping",
            "click #course-grid a[href^='/enrollment']",
            "wait #enrollment-note",
            "type #enrollment-note = Asked what stopped them; busy at work, back next week",
            "click #enrollment-record",
            "wait #enrollment-actions table",
            "scroll #enrollment-form",
        ),
    ),
    Shot("at-risk-tutor", "tutor", "/at-risk", "#at-risk-courses"),
    Shot("notifications-digest", "tutor", "/notifications", "#notifications-list"),
    # A finished demo course is not scored by seed-demo: "Score now" gives its report flags to judge.
    Shot(
        "course-outcomes",
        "tutor",
        "/course?code=DEMO-DS201",
        "#course-score-block button",
        (
            "click #course-score-block button",
            "text #course-score-result = stored",
            "click #course-outcomes-link",
            "wait #course-outcomes-chart .main-svg",
        ),
    ),
    Shot("home-admin", "admin", "/", "#home-early-warning"),
    Shot("analytics", "admin", "/analytics", "#analytics-graph-importance .main-svg"),
    Shot("at-risk", "admin", "/at-risk", "#at-risk-grid" + GRID_ROW),
    Shot("records", "admin", "/records", "#records-grid" + GRID_ROW),
    Shot(
        "batch",
        "admin",
        "/batch",
        "#batch-submit",
        (
            "upload #batch-upload input[type=file] = data/exam_scores.csv",
            "click #batch-submit",
            "wait #batch-summary",
        ),
    ),
    Shot("models", "admin", "/models", "#models-candidates-table"),
    Shot("models-fairness", "admin", "/models", "#models-fairness", ("scroll #models-fairness",)),
    Shot(
        "models-early-warning",
        "admin",
        "/models",
        "#models-ew-candidates-table",
        ("scroll #models-ew-section",),
    ),
    Shot("users", "admin", "/users", "#users-row-demo-tutor"),
    Shot(
        "users-tutor-courses",
        "admin",
        "/users",
        "#users-row-demo-tutor",
        ("click #users-courses-demo-tutor button", "wait #users-courses-select"),
    ),
    Shot(
        "data-api-keys",
        "admin",
        "/data",
        "#data-history-table",
        ("type #data-key-name = moodle-nightly", "click #data-key-create", "wait #data-keys-table"),
    ),
    Shot(
        "data-import-caliper",
        "admin",
        "/data",
        "#data-history-table",
        ("select #data-import-format = caliper", "scroll #data-import-card"),
    ),
    Shot(
        "data-import-moodle",
        "admin",
        "/data",
        "#data-history-table",
        ("select #data-import-format = moodle", "scroll #data-import-card"),
    ),
    Shot(
        "data-import-report",
        "admin",
        "/data",
        "#data-history-table",
        ("click button[id*='data-history-open']", "wait #data-history-report"),
    ),
    Shot(
        "lti",
        "admin",
        "/lti",
        "#lti-register",
        (
            "type #lti-issuer = https://moodle.example.edu",
            "type #lti-client-id = ssa-tool-7Qx",
            "type #lti-deployment-ids = 1",
            "type #lti-keyset-url = https://moodle.example.edu/mod/lti/certs.php",
            "type #lti-auth-login-url = https://moodle.example.edu/mod/lti/auth.php",
            "click #lti-register",
            "wait #lti-list table",
        ),
    ),
    Shot(
        "privacy",
        "admin",
        "/privacy",
        "#privacy-log table",
        ("type #privacy-ref = demo-ph101-0005", "click #privacy-count", "wait #privacy-counts"),
    ),
    Shot(
        "retention",
        "admin",
        "/course-settings?code=DEMO-DS201",
        "#course-settings-last-purge",
        ("scroll #course-settings-archive-state",),
    ),
    Shot("api-docs", "admin", "/api/docs", ".swagger-ui .opblock"),
)
