"""The huey instance, its storage (embedded SQLite by default, Redis at scale) and decorators.

Tasks run inside an app context of their own (a fresh database session), in the worker
process (`flask jobs worker`) or, with JOBS_IMMEDIATE (the tests), in the caller.
"""

from __future__ import annotations

import functools
import importlib
import logging
import pkgutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Flask, current_app, has_app_context
from huey import Huey
from huey.storage import MemoryStorage, RedisStorage, SqliteStorage

log = logging.getLogger(__name__)
huey = Huey("marketplace", storage_class=MemoryStorage, results=False)
_state: dict[str, Any] = {"app": None}
DURABLE: dict[str, Callable[..., Any]] = {}
FAILURE_HOOKS: dict[str, Callable[..., Any]] = {}


def storage_for(url: str) -> Any:
    """Build huey storage from a JOBS_URL: sqlite:///path, redis://host:port/db or memory://."""
    if url.startswith("redis://") or url.startswith("rediss://"):
        return RedisStorage("marketplace", url=url)
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        path.parent.mkdir(parents=True, exist_ok=True)
        return SqliteStorage("marketplace", filename=str(path))
    if url.startswith("memory://"):
        return MemoryStorage("marketplace")
    raise ValueError(f"JOBS_URL must start with sqlite:///, redis:// or memory://, not {url!r}")


def configure(app: Flask) -> None:
    """Give the app its job storage, bind huey to it and import every feature's tasks."""
    immediate = bool(app.config.get("JOBS_IMMEDIATE"))
    storage = MemoryStorage("marketplace") if immediate else storage_for(app.config["JOBS_URL"])
    app.extensions["jobs"] = (immediate, storage)
    bind(app)
    autodiscover()


def bind(app: Flask) -> None:
    """Point the process's huey at `app`'s storage (tests build several apps in one process)."""
    immediate, storage = app.extensions["jobs"]
    huey._immediate, huey.storage = immediate, storage
    _state["app"] = app


def autodiscover() -> None:
    """Import `marketplace.<feature>.tasks` for every feature that has one."""
    import marketplace

    for module in pkgutil.iter_modules(marketplace.__path__):
        if module.ispkg:
            try:
                importlib.import_module(f"marketplace.{module.name}.tasks")
            except ModuleNotFoundError as error:
                if error.name != f"marketplace.{module.name}.tasks":
                    raise


def task_app() -> Flask:
    """The app a task runs under: the caller's (immediate mode) or the worker's."""
    if has_app_context():
        return current_app._get_current_object()
    if _state["app"] is None:
        raise RuntimeError("the job runner is not configured: create the app first")
    return _state["app"]


def in_app_context(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Run `fn` in a fresh app context whose database session is removed afterwards."""

    @functools.wraps(fn)
    def run(*args: Any, **kwargs: Any) -> Any:
        from marketplace.extensions import db

        with task_app().app_context():
            try:
                return fn(*args, **kwargs)
            finally:
                db.session.remove()

    return run


def task(**options: Any) -> Callable:
    """A plain huey task (fire and forget) that runs in an app context."""
    return lambda fn: huey.task(**options)(in_app_context(fn))


def periodic(schedule: Callable, **options: Any) -> Callable:
    """A scheduled task; a lock makes sure only one machine runs it at a time."""

    def decorate(fn: Callable[..., Any]) -> Any:
        @functools.wraps(fn)
        def locked() -> Any:
            with huey.lock_task(f"{fn.__module__}.{fn.__name__}"):
                return fn()

        return huey.periodic_task(schedule, **options)(in_app_context(locked))

    return decorate


def durable(name: str) -> Callable:
    """Register `fn` as the body of durable job `name` (see jobs.submit)."""

    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        DURABLE[name] = fn
        return fn

    return decorate


def on_failure(name: str) -> Callable:
    """Register what to do when job `name` has used every attempt (e.g. tell the submitter)."""

    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        FAILURE_HOOKS[name] = fn
        return fn

    return decorate
