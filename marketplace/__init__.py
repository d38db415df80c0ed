"""The marketplace: a curated learning marketplace for companies."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask

from marketplace import config as config_module
from marketplace.config import ROOT

__version__ = "0.1.0"


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Create the Flask app; `config` overrides values read from the environment."""
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    app.config.update(config_module.from_environment())
    app.config.update(config or {})
    config_module.check_secret_key(app.config)
    app.config.setdefault("WTF_CSRF_HEADERS", ["X-CSRFToken"])
    app.config.setdefault("MAX_CONTENT_LENGTH", 512 * 1024 * 1024)
    app.config["VERSION"] = __version__
    Path(app.config["INSTANCE_DIR"]).mkdir(parents=True, exist_ok=True)

    _init_extensions(app)
    _register_blueprints(app)
    from marketplace import cli, errors, security, templating

    security.init_app(app)
    errors.init_app(app)
    templating.init_app(app)
    cli.init_app(app)
    _init_shared_mechanisms(app)
    from marketplace import logs, ratelimits

    logs.init_app(app)  # one JSON line per request; errors with tracebacks in the log only
    ratelimits.init_app(app)  # after the blueprints: limits attach to their endpoints
    return app


def _init_shared_mechanisms(app: Flask) -> None:
    """The change feed's tracked models and the job runner (see marketplace/changes, marketplace/jobs)."""
    from marketplace import jobs
    from marketplace.events import services as events
    from marketplace.jobs.cli import jobs_cli

    events.install()
    _init_integrations()
    jobs.configure(app)
    app.cli.add_command(jobs_cli)
    _init_impact(app)


def _init_impact(app: Flask) -> None:
    """Impact and follow-ups (issue 9): pages, the readings API, `flask impact` and `flask followups`."""
    from marketplace.accounts.views import PUBLIC_ENDPOINTS
    from marketplace.followups.cli import followups_cli
    from marketplace.followups.views import bp as followups_bp
    from marketplace.impact import data_views  # noqa: F401  (adds its routes to the impact blueprint)
    from marketplace.impact.cli import impact_cli
    from marketplace.impact.views import bp as impact_bp

    # The readings API authenticates by bearer token; the e-mailed answer link by its signature.
    PUBLIC_ENDPOINTS.update({"impact.api_readings", "followups.answer_link"})
    app.register_blueprint(impact_bp)
    app.register_blueprint(followups_bp)
    app.cli.add_command(impact_cli)
    app.cli.add_command(followups_cli)


def _init_extensions(app: Flask) -> None:
    from marketplace import database
    from marketplace.extensions import csrf, login_manager
    from marketplace.htmx import htmx

    database.init_app(app)
    csrf.init_app(app)
    htmx.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = "Please sign in to continue."
    login_manager.session_protection = "strong"


def _init_integrations() -> None:
    """Chat and xAPI: what goes on the feed, and personal notifications fanned out to e-mail and chat."""
    from marketplace.integrations import personal, rules
    from marketplace.notifications.services import add_channel

    rules.install()
    add_channel(personal.route_notification)


def _register_blueprints(app: Flask) -> None:
    from marketplace.accounts.views import admin_bp
    from marketplace.accounts.views import bp as accounts_bp
    from marketplace.catalog.views import bp as catalog_bp
    from marketplace.curation.views import bp as curation_bp
    from marketplace.media.views import bp as media_bp
    from marketplace.notifications.views import bp as notifications_bp
    from marketplace.ops.views import bp as ops_bp

    for blueprint in (accounts_bp, admin_bp, catalog_bp, curation_bp, media_bp, notifications_bp, ops_bp):
        app.register_blueprint(blueprint)
    from marketplace.submissions.views import register as register_submissions

    register_submissions(app)
    from marketplace.people.views import bp as people_bp
    from marketplace.spaces.views import bp as spaces_bp

    app.register_blueprint(people_bp)
    app.register_blueprint(spaces_bp)
    from marketplace.search.views import bp as search_bp

    app.register_blueprint(search_bp)
    from marketplace.accounts import views_account, views_sso

    app.register_blueprint(views_account.bp)
    app.register_blueprint(views_sso.bp)
    views_sso.init_app(app)
    from marketplace.accounts.cli import accounts_cli

    app.cli.add_command(accounts_cli)
    from marketplace.lifecycle.views import bp as lifecycle_bp
    from marketplace.requests.views import bp as requests_bp

    app.register_blueprint(lifecycle_bp)
    app.register_blueprint(requests_bp)
    from marketplace.integrations.views import bp as integrations_bp

    app.register_blueprint(integrations_bp)
    from marketplace.identity import scim_mount
    from marketplace.identity.views import bp as identity_bp
    from marketplace.privacy.views import bp as privacy_bp

    app.register_blueprint(identity_bp)
    app.register_blueprint(privacy_bp)
    scim_mount.init_app(app)
    from marketplace.jobs.views import bp as jobs_admin_bp

    app.register_blueprint(jobs_admin_bp)
