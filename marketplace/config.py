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
        "SEED_DEMO": _env_bool("SEED_DEMO", development),
        "PAGE_SIZE": _env_int("PAGE_SIZE", 12),
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
        # Impact: follow-ups after N days, answer links valid for M days, links in e-mails start with PUBLIC_URL.
        "FOLLOWUP_DAYS": _env_int("FOLLOWUP_DAYS", 30),
        "FOLLOWUP_LINK_DAYS": _env_int("FOLLOWUP_LINK_DAYS", 14),
        "PUBLIC_URL": os.environ.get("PUBLIC_URL", "http://127.0.0.1:5000"),
        "SESSION_COOKIE_SECURE": _env_bool("SESSION_COOKIE_SECURE", not development),
        "REMEMBER_COOKIE_SECURE": _env_bool("SESSION_COOKIE_SECURE", not development),
    }


def check_secret_key(config: dict) -> None:
    """Refuse to run outside development/testing with a default or empty SECRET_KEY."""
    if config.get("ENV_NAME") in {"development", "testing"} or config.get("TESTING"):
        return
    if (config.get("SECRET_KEY") or "") in INSECURE_KEYS:
        raise RuntimeError(
            "SECRET_KEY is empty or a default. Set SECRET_KEY to a long random value, "
            "or MARKETPLACE_ENV=development for a local demo."
        )
