"""Turn space threads into index documents: findable only through the viewer's visible spaces."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Iterator

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session, selectinload

from marketplace.extensions import db
from marketplace.spaces.models import Post, Space, Thread

PREFIX = "thread:"
BATCH = 500
SNIPPET_POSTS = 40  # a thread's snippet comes from its opening and first replies: a search never reads a whole thread


def key(thread_id: int) -> str:
    """The index id of a thread (kept apart from item ids, which are plain numbers)."""
    return f"{PREFIX}{thread_id}"


def thread_id_of(key_text: str) -> int | None:
    """The thread id in an index key, or None when the key is not a thread's."""
    rest = key_text[len(PREFIX):] if key_text.startswith(PREFIX) else ""
    return int(rest) if rest.isdigit() else None


def readable_posts(thread: Thread) -> list[Post]:
    """Posts whose text anyone who may read the thread sees: not removed, not hidden by a host."""
    return [p for p in thread.posts if p.is_readable]


def _snippet_sources_statement():  # noqa: ANN202 - a Select
    position = func.row_number().over(partition_by=Post.thread_id, order_by=(Post.is_opening.desc(), Post.id)).label("position")
    readable = select(Post.thread_id, Post.body, position).where(
        Post.thread_id.in_(bindparam("ids", expanding=True)), Post.is_readable).subquery()
    return (select(readable.c.thread_id, readable.c.body).where(readable.c.position <= SNIPPET_POSTS)
            .order_by(readable.c.thread_id, readable.c.position))


# Built once: constructing it each time cost more than running it.
SNIPPET_SOURCES = _snippet_sources_statement()


def snippet_sources(thread_ids: list[int]) -> dict[int, list[str]]:
    """For each thread, the readable post texts a snippet may quote: the opening first, then replies in order."""
    sources: dict[int, list[str]] = defaultdict(list)
    if thread_ids:
        for thread_id, body in db.session.execute(SNIPPET_SOURCES, {"ids": thread_ids}):
            sources[thread_id].append(body)
    return sources


def document(thread: Thread) -> dict:
    """The index document for a thread; the space's visibility is enforced at query time."""
    space = thread.space
    posts = readable_posts(thread)
    opening = " ".join(p.body for p in posts if p.is_opening)
    replies = "\n".join(p.body for p in posts if not p.is_opening)
    retro = f"{thread.retro_what}\n{thread.retro_so_what}\n{thread.retro_now_what}"
    # Not the space's name: every thread in "Refund rules" would then match "refund" whatever it says.
    tags = [skill.name for skill in thread.skills]
    if not space.chatham_house:
        # Chatham House: nothing that leaves the space may name anyone, so names are never indexed.
        tags += sorted({p.author.name for p in posts if p.author})
    doc = {
        "id": key(thread.id),
        "kind": "thread",
        "space_id": str(space.id),
        "visibility": space.visibility,
        "title": thread.title,
        "summary": opening,
        "tags": " ".join(tags),
        "body": f"{replies}\n{retro}",
        "title_prefix": thread.title,  # n-grams for titles only: bodies stay whole-word, keeping keystrokes fast
    }
    doc["stamp"] = hashlib.sha1(repr(sorted(doc.items())).encode()).hexdigest()[:16]
    return doc


def _load(session: Session, ids: Iterable[int]) -> list[Thread]:
    query = (
        select(Thread)
        .where(Thread.id.in_(list(ids)))
        .options(
            selectinload(Thread.space), selectinload(Thread.skills),
            selectinload(Thread.posts).selectinload(Post.author),
        )
    )
    return list(session.scalars(query))


def documents_for(session: Session, ids: set[int]) -> dict[str, dict | None]:
    """Current documents for these thread ids, by index key; None for threads gone."""
    found: dict[str, dict | None] = {key(i): None for i in ids}
    ordered = sorted(ids)
    for start in range(0, len(ordered), BATCH):
        for thread in _load(session, ordered[start:start + BATCH]):
            found[key(thread.id)] = document(thread)
    return found


def thread_ids_in_spaces(session: Session, space_ids: set[int]) -> set[int]:
    """Every thread of these spaces (a space's name, visibility or lifecycle is in its threads' documents)."""
    return set(session.scalars(select(Thread.id).where(Thread.space_id.in_(space_ids)))) if space_ids else set()


def count(session: Session) -> int:
    """How many threads the index should hold."""
    from sqlalchemy import func

    return session.scalar(select(func.count(Thread.id))) or 0


def all_batches(session: Session) -> Iterator[list[tuple[str, dict | None]]]:
    """Every thread as documents, in batches (for a rebuild)."""
    ids = list(session.scalars(select(Thread.id).join(Space, Space.id == Thread.space_id).order_by(Thread.id)))
    for start in range(0, len(ids), BATCH):
        yield [(key(thread.id), document(thread)) for thread in _load(session, ids[start:start + BATCH])]
        session.expunge_all()


def stamps(session: Session) -> dict[str, str]:
    """Every thread's index key and the stamp its current document would carry."""
    return {k: doc["stamp"] for batch in all_batches(session) for k, doc in batch if doc is not None}
