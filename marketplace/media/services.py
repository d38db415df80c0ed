"""Where media files live and who they belong to."""

from __future__ import annotations

import secrets
from pathlib import Path

from flask import current_app
from sqlalchemy import or_, select

from marketplace.catalog.models import Item, ItemImage, MediaFile
from marketplace.extensions import db
from marketplace.media.storage import LocalStorage, storage


def media_root() -> Path:
    """The upload directory (outside static/), created on first use."""
    root = Path(current_app.config["UPLOAD_DIR"])
    root.mkdir(parents=True, exist_ok=True)
    return root


def new_storage_name(extension: str) -> str:
    """A server-generated, unguessable file name with a known-safe extension."""
    return f"{secrets.token_hex(16)}.{extension}"


def path_for(media: MediaFile) -> Path:
    """The file on disk for a media row (local storage only; other code goes through storage())."""
    store = storage()
    if not isinstance(store, LocalStorage):
        raise TypeError("path_for needs MEDIA_STORAGE=local; use storage() instead")
    return store.path(media.storage_name)


def register_file(data: bytes, *, kind: str, content_type: str, extension: str, **fields) -> MediaFile:
    """Write bytes under a new name and add (not commit) the MediaFile row."""
    media = MediaFile(
        kind=kind, content_type=content_type, storage_name=new_storage_name(extension),
        size_bytes=len(data), **fields,
    )
    storage().save_bytes(data, media.storage_name)
    db.session.add(media)
    return media


def register_path(source: Path, *, kind: str, content_type: str, extension: str, **fields) -> MediaFile:
    """Move a finished file into storage under a new name and add (not commit) its row."""
    media = MediaFile(
        kind=kind, content_type=content_type, storage_name=new_storage_name(extension),
        size_bytes=source.stat().st_size, **fields,
    )
    storage().save_file(source, media.storage_name)  # locally a rename: never read into memory
    db.session.add(media)
    return media


def delete_stored(names: list[str]) -> None:
    """Remove stored files whose rows are gone for good."""
    store = storage()
    for name in names:
        store.delete(name)


def owning_item(media: MediaFile) -> Item | None:
    """The catalog item that shows this file (as its video, PDF, poster or one of its images), if any."""
    in_images = Item.images.any(or_(ItemImage.media_id == media.id, ItemImage.thumbnail_id == media.id))
    query = select(Item).where(or_(Item.media_id == media.id, Item.poster_id == media.id, in_images))
    # An edit's working copy shares the live item's files: the live item decides who sees them.
    return db.session.scalars(query.order_by(Item.revision_of_id.is_not(None), Item.id)).first()


def get_media(media_id: int) -> MediaFile | None:
    """Load a media row."""
    return db.session.get(MediaFile, media_id)
