"""Everything the product holds about one person, read through the registry: a ZIP of JSON plus their files."""

from __future__ import annotations

import json
import zipfile
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Table, select

from marketplace.extensions import db
from marketplace.media.services import media_root
from marketplace.privacy.registry import REGISTRY, Entry


def table(name: str) -> Table:
    """The SQLAlchemy table called `name`."""
    return db.metadata.tables[name]


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if hasattr(value, "value"):  # enums
        return value.value
    return value


def _hidden_columns(name: str) -> set[str]:
    return {e.name for e in REGISTRY if e.table == name and not e.export}


def _selector(entry: Entry, user_id: int):  # noqa: ANN202 - a Select
    rows = table(entry.table)
    if entry.through:
        fk, target = (part.strip() for part in entry.through.split("->"))
        parent_table, parent_column = target.split(".")
        parent = table(parent_table)
        ids = select(parent.c.id).where(parent.c[parent_column] == user_id)
        return select(rows).where(rows.c[fk].in_(ids))
    return select(rows).where(rows.c[entry.name] == user_id)


def _pointing_entries() -> list[Entry]:
    """Entries whose column names the person (a user id) or leads to them through another table."""
    pointing = []
    for entry in REGISTRY:
        if not entry.export or entry.table not in db.metadata.tables:
            continue
        column = table(entry.table).c[entry.name]
        if entry.through or any(fk.column.table.name == "users" for fk in column.foreign_keys) or entry.column == "users.id":
            pointing.append(entry)
    return pointing


def collect(user_id: int) -> dict[str, list[dict]]:
    """Table name -> the person's rows (secrets left out), from every registry entry that points at them."""
    found: dict[str, dict[tuple, dict]] = {}
    for entry in _pointing_entries():
        rows = table(entry.table)
        hidden = _hidden_columns(entry.table)
        key_columns = [c.name for c in rows.primary_key.columns] or [c.name for c in rows.columns]
        for row in db.session.execute(_selector(entry, user_id)).mappings():
            record = {k: _plain(v) for k, v in row.items() if k not in hidden}
            found.setdefault(entry.table, {})[tuple(record.get(k) for k in key_columns)] = record
    return {name: list(rows.values()) for name, rows in sorted(found.items())}


def write_zip(user_id: int, target: Path) -> dict[str, int]:
    """Write the person's export to `target`; returns rows per table (and files) for the manifest."""
    data = collect(user_id)
    counts = {name: len(rows) for name, rows in data.items()}
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".part")
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, rows in data.items():
            archive.writestr(f"{name}.json", json.dumps(rows, indent=2, ensure_ascii=False, default=str))
        files = 0
        for media in data.get("media_files", []):
            path = media_root() / media["storage_name"]
            if path.is_file():
                archive.write(path, f"media/{media['storage_name']}")
                files += 1
        counts["media files"] = files
        manifest = {
            "about": "Everything the marketplace holds about you: one JSON file per table, your uploads under media/.",
            "user_id": user_id,
            "rows": counts,
        }
        archive.writestr("manifest.json", json.dumps(manifest, indent=2))
    partial.replace(target)  # a crash mid-write never leaves a half file behind the link
    return counts
