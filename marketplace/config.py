"""Configuration read from environment variables, with safe defaults."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INSECURE_KEYS = {"", "dev", "change-me", "dev-insecure-key"}


def _env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    return int(raw) if raw.isdigit() else default


def from_environment() -> dict:
    """Build the configuration mapping from MARKETPLACE_* and common variables."""
    env = os.environ.get("MARKETPLACE_ENV", "production").strip().lower()
    instance = Path(os.environ.get("MARKETPLACE_INSTANCE_DIR", ROOT / "instance"))
    default_db = f"sqlite:///{instance / 'marketplace.db'}"
    development = env == "development"
    return {
        "ENV_NAME": env,
        "SECRET_KEY": os.environ.get("SECRET_KEY", "dev-insecure-key" if env != "production" else ""),
        "SQLALCHEMY_DATABASE_URI": os.environ.get("DATABASE_URL", default_db),
        "INSTANCE_DIR": str(instance),
        "SEARCH_INDEX_DIR": os.environ.get("SEARCH_INDEX_DIR", str(ROOT / "search_index")),
        "UPLOAD_DIR": os.environ.get("UPLOAD_DIR", str(instance / "uploads")),
        # Media storage: "local" (UPLOAD_DIR, which may be a shared mount) or "s3" (any S3-compatible store).
        "MEDIA_STORAGE": os.environ.get("MEDIA_STORAGE", "local"),
        "MEDIA_S3_BUCKET": os.environ.get("MEDIA_S3_BUCKET", ""),
        "MEDIA_S3_ENDPOINT_URL": os.environ.get("MEDIA_S3_ENDPOINT_URL", ""),
        "MEDIA_S3_REGION": os.environ.get("MEDIA_S3_REGION", ""),
        "MEDIA_S3_PREFIX": os.environ.get("MEDIA_S3_PREFIX", ""),
        # Behind nginx: the app checks access, nginx sends the file (X-Accel-Redirect to this internal location).
        "MEDIA_X_ACCEL_PREFIX": os.environ.get("MEDIA_X_ACCEL_PREFIX", ""),
        # Search answers remembered per process, each under the index generation it came from (0: off).
        "SEARCH_RESULT_CACHE": _env_int("SEARCH_RESULT_CACHE", 512),
        # Marked hit titles and snippets remembered per process, each under its row's last change (0: off).
        "SEARCH_HIT_TEXT_CACHE": _env_int("SEARCH_HIT_TEXT_CACHE", 1024),
        "SEED_DEMO": _env_bool("SEED_DEMO", development),
        "PAGE_SIZE": _env_int("PAGE_SIZE", 12),
        # Seconds a catalog total may be reused (0: count every time; tests count every time).
        "CATALOG_COUNT_SECONDS": _env_int("CATALOG_COUNT_SECONDS", 0 if env == "testing" else 5),
        # Submissions: upload and review limits, stated on the /submit form.
        "SUBMISSION_MAX_UPLOAD_MB": _env_int("SUBMISSION_MAX_UPLOAD_MB", 250),
        "SUBMISSION_MAX_VIDEO_SECONDS": _env_int("SUBMISSION_MAX_VIDEO_SECONDS", 20 * 60),
        "SUBMISSION_MAX_IMAGE_PIXELS": _env_int("SUBMISSION_MAX_IMAGE_PIXELS", 40_000_000),
        "SUBMISSION_MAX_IMAGES": _env_int("SUBMISSION_MAX_IMAGES", 20),
        "REVIEW_SLA_WORKING_DAYS": _env_int("REVIEW_SLA_WORKING_DAYS", 3),
        "SCREENING_PHONE_REGION": os.environ.get("SCREENING_PHONE_REGION", "US"),
        # Jobs: embedded SQLite storage by default; redis://host:6379/0 for several machines.
        "JOBS_URL": os.environ.get("JOBS_URL", f"sqlite:///{instance / 'jobs.db'}"),
        "JOBS_IMMEDIATE": _env_bool("JOBS_IMMEDIATE", False),
        # Outgoing e-mail (follow-ups, reminders): sent by the job worker over SMTP.
        "MAIL_SERVER": os.environ.get("MAIL_SERVER", ""),
        "MAIL_PORT": _env_int("MAIL_PORT", 25),
        "MAIL_USE_TLS": _env_bool("MAIL_USE_TLS", False),
        "MAIL_USE_SSL": _env_bool("MAIL_USE_SSL", False),
        "MAIL_USERNAME": os.environ.get("MAIL_USERNAME", ""),
        "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD", ""),
        "MAIL_FROM": os.environ.get("MAIL_FROM", "marketplace@localhost"),
        # Freshness: days from approval (or "still accurate") to the next review, per item type.
        "FRESHNESS_REVIEW_DAYS": {
            "job_aid": _env_int("FRESHNESS_DAYS_JOB_AID", 365),
            "checklist": _env_int("FRESHNESS_DAYS_CHECKLIST", 180),
            "quick_learn": _env_int("FRESHNESS_DAYS_QUICK_LEARN", 365),
        },
        "FRESHNESS_REMIND_DAYS": _env_int("FRESHNESS_REMIND_DAYS", 14),
        # Integrations (Slack, Teams, xAPI): links in messages and statements start with PUBLIC_BASE_URL.
        # One address for every absolute link (chat, xAPI IRIs, e-mails); PUBLIC_URL is accepted as an alias.
        "PUBLIC_BASE_URL": os.environ.get("PUBLIC_BASE_URL") or os.environ.get("PUBLIC_URL") or "http://127.0.0.1:5000",
        "SLACK_SIGNING_SECRET": os.environ.get("SLACK_SIGNING_SECRET", ""),
        "SLACK_API_BASE": os.environ.get("SLACK_API_BASE", "https://slack.com/api"),
        "SLACK_COMMAND_BUDGET_SECONDS": float(os.environ.get("SLACK_COMMAND_BUDGET_SECONDS", "2.0")),
        "TEAMS_SECURITY_TOKEN": os.environ.get("TEAMS_SECURITY_TOKEN", ""),
        "INBOUND_MAX_BYTES": _env_int("INBOUND_MAX_BYTES", 64 * 1024),
        "XAPI_LRS_URL": os.environ.get("XAPI_LRS_URL", ""),
        "XAPI_LRS_USERNAME": os.environ.get("XAPI_LRS_USERNAME", ""),
        "XAPI_LRS_PASSWORD": os.environ.get("XAPI_LRS_PASSWORD", ""),
        "XAPI_VERSION": os.environ.get("XAPI_VERSION", "1.0.3"),
        "XAPI_HOME_PAGE": os.environ.get("XAPI_HOME_PAGE", "https://example.com"),
        # Privacy: how long an export's link works, how long an erasure waits (and can be cancelled).
        "PRIVACY_EXPORT_HOURS": _env_int("PRIVACY_EXPORT_HOURS", 72),
        "PRIVACY_ERASURE_COOL_OFF_DAYS": _env_int("PRIVACY_ERASURE_COOL_OFF_DAYS", 7),
        # Impact: follow-ups after N days, answer links valid for M days, links in e-mails start with PUBLIC_BASE_URL.
        "FOLLOWUP_DAYS": _env_int("FOLLOWUP_DAYS", 30),
        "FOLLOWUP_LINK_DAYS": _env_int("FOLLOWUP_LINK_DAYS", 14),
        "SESSION_COOKIE_SECURE": _env_bool("SESSION_COOKIE_SECURE", not development),
        "REMEMBER_COOKIE_SECURE": _env_bool("SESSION_COOKIE_SECURE", not development),
        # Sessions (issue 13): idle and absolute lifetimes; HSTS outside development.
        "SESSION_IDLE_MINUTES": _env_int("SESSION_IDLE_MINUTES", 8 * 60),
        "SESSION_ABSOLUTE_HOURS": _env_int("SESSION_ABSOLUTE_HOURS", 7 * 24),
        "HSTS_SECONDS": _env_int("HSTS_SECONDS", 0 if development else 63072000),
        # Single sign-on (issue 13): see marketplace/accounts/oidc.py and the README.
        "PASSWORD_SIGN_IN": _env_bool("PASSWORD_SIGN_IN", True),
        "BREAK_GLASS_ADMINS": os.environ.get("BREAK_GLASS_ADMINS", ""),
        "OIDC_PROVIDERS": oidc_providers_from_environment(),
    }


def oidc_providers_from_environment() -> list[dict]:
    """Read OIDC_PROVIDERS=a,b and OIDC_A_ISSUER, OIDC_A_CLIENT_ID, ... into one dict per provider."""
    providers = []
    for name in filter(None, (n.strip().lower() for n in os.environ.get("OIDC_PROVIDERS", "").split(","))):
        prefix = f"OIDC_{name.upper().replace('-', '_')}_"
        setting = {key.removeprefix(prefix).lower(): value for key, value in os.environ.items() if key.startswith(prefix)}
        providers.append({"name": name, **setting})
    return providers


def check_secret_key(config: dict) -> None:
    """Refuse to run outside development/testing with a default or empty SECRET_KEY."""
    if config.get("ENV_NAME") in {"development", "testing"} or config.get("TESTING"):
        return
    if (config.get("SECRET_KEY") or "") in INSECURE_KEYS:
        raise RuntimeError(
            "SECRET_KEY is empty or a default. Set SECRET_KEY to a long random value, "
            "or MARKETPLACE_ENV=development for a local demo."
        )
