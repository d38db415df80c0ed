"""The on-disk Whoosh index: generations behind a "current" pointer, one writer, reused searchers.

Layout under SEARCH_INDEX_DIR:
    current        the name of the live generation directory (replaced atomically)
    write.lock     flock()ed by whoever writes, in any process
    gen-*/         Whoosh index directories; a rebuild writes a new one, then swaps
    gen-*/journal  document keys written to that generation (lets a rebuild catch up)
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import shutil
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh import query as wq
from whoosh.filedb.filestore import FileStorage
from whoosh.searching import Searcher

from marketplace.search.backend import BackendUnavailable, Drift, key_order, parse_key  # noqa: F401 - re-exported
from marketplace.search.bulk import BulkUnsupported, replace_documents, write_fresh
from marketplace.search.postings import bits_of, length_groups, posting_ids, posting_weights  # noqa: F401 - posting_ids re-exported
from marketplace.search.schema import build_schema

log = logging.getLogger(__name__)
POINTER = "current"
LOCK = "write.lock"
JOURNAL = "journal"
LOCK_TIMEOUT = 60.0
# Decoded bitsets kept per process, by size: a 50,000-document segment's broad term is 6 KB,
# and a keystroke touches dozens of terms and every facet value, so a count limit thrashed.
BITSET_CACHE_BYTES = 32 * 2**20
# From this many documents in one write, the bulk writer adds them as new segments: Whoosh's
# writer sorts every posting through a pool and re-opens a searcher per update (10,000 missed
# changes took minutes); below it, Whoosh's writer keeps small segments merged.
BULK_WRITE_AT = 200
WRITE_PROCS = 4  # at most this many processes write one large batch (see bulk.PARALLEL_ADD_AT)


class IndexUnavailable(BackendUnavailable):
    """The index is missing or unreadable; search must say it is being rebuilt."""


class SearchIndex:
    """One process's handle on the index directory."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        # Each thread reads through its own searcher: Whoosh readers share one file handle
        # (seek, then read) and refresh() closes the readers it replaces, so a searcher
        # used by two threads returns corrupt bytes or ReaderClosed mid-search.
        self._local = threading.local()
        self._bits_guard = threading.Lock()
        self._bits: OrderedDict[tuple, tuple[int, object]] = OrderedDict()
        self._bits_bytes = 0

    # -- locations -----------------------------------------------------------------

    def current_name(self) -> str | None:
        """The live generation's directory name, or None when there is none."""
        try:
            name = (self.root / POINTER).read_text().strip()
        except OSError:
            return None
        return name if name and (self.root / name).is_dir() else None

    def exists(self) -> bool:
        """True when a live generation can be opened."""
        try:
            self.searcher()
            return True
        except IndexUnavailable:
            return False

    def _set_current(self, name: str) -> None:
        temporary = self.root / f"{POINTER}.{uuid.uuid4().hex}"
        temporary.write_text(name)
        os.replace(temporary, self.root / POINTER)  # atomic: readers see old or new

    # -- reading -------------------------------------------------------------------

    def searcher(self) -> Searcher:
        """This thread's searcher on the live generation, reopened when a write or a rebuild changed it.

        A new generation is opened before the old one is closed; if it cannot be opened the
        previous one keeps answering, so "unavailable" means no usable generation at all.
        """
        local = self._local
        name = self.current_name()
        held: Searcher | None = getattr(local, "searcher", None)
        if name is None:
            self._close_local()
            raise IndexUnavailable("no search index")
        if held is not None and name == local.name and _up_to_date(local.index, held):
            return held
        try:
            index = open_generation(self.root / name)
            fresh = index.searcher()
        except Exception as error:  # noqa: BLE001 - any damage means "rebuild", never a 500
            if held is not None:
                log.warning("search index generation %s unreadable, answering from the previous one: %r", name, error)
                return held
            log.warning("search index unreadable: %r", error)
            raise IndexUnavailable(str(error)) from error
        self._close_local()
        local.index, local.name, local.searcher = index, name, fresh
        return fresh

    def release(self) -> None:
        """Close this thread's searcher (the next search reopens the live generation)."""
        self._close_local()

    def _close_local(self) -> None:
        held = getattr(self._local, "searcher", None)
        if held is not None:
            # Closing a broken reader must not mask why it broke.
            with contextlib.suppress(Exception):
                held.close()
        self._local.searcher = self._local.index = self._local.name = None

    def generation(self, searcher: Searcher) -> tuple:
        """What identifies the documents this searcher sees: its segments and their deletions.

        Any write (an added segment, a deletion, a merge, a rebuild) changes it, so anything
        computed from one searcher can be remembered under it and never go stale.
        """
        return tuple((leaf.reader().segment().segment_id(), leaf.reader().segment().deleted_count())
                     for leaf, _ in searcher.leaf_searchers())

    def term_bits(self, searcher: Searcher, fieldname: str, text: str) -> int:
        """Bitset of live documents holding a term, cached per immutable segment."""
        total = 0
        for (reader, deleted), offset in self._segments(searcher):
            bits = self._cached((reader.segment().segment_id(), deleted, fieldname, text),
                                lambda r=reader, d=deleted: self._live_term_bits(r, d, fieldname, text))
            total |= bits << offset
        return total

    def weight_bits(self, searcher: Searcher, fieldname: str, text: str) -> dict[float, int]:
        """Weight (frequency times boost) -> bitset of the documents holding the term with it; deleted ones included."""
        return self._combined(searcher, lambda reader: self._segment_weights(reader, fieldname, text))

    def length_bits(self, searcher: Searcher, fieldname: str) -> dict[int, int]:
        """Field length byte (Whoosh's encoding) -> bitset of the documents with that length."""
        return self._combined(searcher, lambda reader: self._cached(
            (reader.segment().segment_id(), "lengths", fieldname), lambda: length_groups(reader, fieldname)))

    def _combined(self, searcher: Searcher, per_segment: Callable[..., dict]) -> dict:
        """One map of bitsets for the searcher from each segment's map, shifted to its docnum offset."""
        total: dict = {}
        for (reader, _), offset in self._segments(searcher):
            for value, bits in per_segment(reader).items():
                total[value] = total.get(value, 0) | bits << offset
        return total

    def _segments(self, searcher: Searcher):  # noqa: ANN202 - pairs of ((reader, deleted count), offset)
        for leaf, offset in searcher.leaf_searchers():
            reader = leaf.reader()
            yield (reader, reader.segment().deleted_count()), offset

    def _live_term_bits(self, reader, deleted: int, fieldname: str, text: str) -> int:  # noqa: ANN001 - a SegmentReader
        holders = 0
        for bits in self._segment_weights(reader, fieldname, text).values():
            holders |= bits
        if holders and deleted:
            holders &= self._cached((reader.segment().segment_id(), deleted, "live"), lambda: _live_bits(reader))
        return holders

    def _segment_weights(self, reader, fieldname: str, text: str) -> dict[float, int]:  # noqa: ANN001 - a SegmentReader
        # One decoding serves both the term's bitset and its score classes.
        return self._cached((reader.segment().segment_id(), "weights", fieldname, text), lambda: {
            weight: bits_of(docnums, reader.doc_count_all())
            for weight, docnums in posting_weights(reader.postings(fieldname, text)).items()
        } if (fieldname, text) in reader else {})

    def _cached(self, key: tuple, compute: Callable):  # noqa: ANN202 - whatever compute returns
        with self._bits_guard:
            found = self._bits.get(key)
            if found is not None:
                self._bits.move_to_end(key)
                return found[1]
        value = compute()
        size = _footprint(value)
        with self._bits_guard:
            if key not in self._bits:
                self._bits[key] = (size, value)
                self._bits_bytes += size
            while self._bits_bytes > BITSET_CACHE_BYTES and len(self._bits) > 1:
                self._bits_bytes -= self._bits.popitem(last=False)[1][0]
        return value

    # -- writing -------------------------------------------------------------------

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        """Hold the inter-process write lock (flock on a file next to the index); re-entrant within a thread."""
        depth = getattr(self._local, "lock_depth", 0)
        if depth:
            self._local.lock_depth = depth + 1
            try:
                yield
            finally:
                self._local.lock_depth = depth
            return
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / LOCK, "a+") as handle:
            deadline = time.monotonic() + LOCK_TIMEOUT
            while True:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise TimeoutError("search index write lock held too long") from None
                    time.sleep(0.02)
            self._local.lock_depth = 1
            try:
                yield
            finally:
                self._local.lock_depth = 0
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _write(self, name: str, documents: dict[int | str, dict | None]) -> None:
        """Replace or delete documents in generation `name`; caller holds the lock."""
        ix = open_generation(self.root / name)
        if len(documents) >= BULK_WRITE_AT and self._write_bulk(ix, documents):
            self._journal(name, documents)
            return
        # Whoosh's own lock is free because we hold flock; the retries cover anything else.
        writer = ix.writer(timeout=10.0, delay=0.05)
        try:
            for key, document in documents.items():
                if document is None:
                    writer.delete_by_term("id", str(key))
                else:
                    writer.update_document(**document)
        except BaseException:
            writer.cancel()
            raise
        writer.commit()
        self._journal(name, documents)

    def _journal(self, name: str, documents: dict[int | str, dict | None]) -> None:
        with open(self.root / name / JOURNAL, "a") as journal:
            journal.write("".join(f"{key}\n" for key in documents))

    @staticmethod
    def _write_bulk(ix, documents: dict[int | str, dict | None]) -> bool:  # noqa: ANN001 - a Whoosh FileIndex
        """Many documents as one appended segment; False when the schema needs Whoosh's writer."""
        try:
            replace_documents(ix, documents, procs=min(os.cpu_count() or 1, WRITE_PROCS))
        except BulkUnsupported as reason:
            log.warning("search writes use Whoosh's writer: %s", reason)
            return False
        return True

    def apply(self, documents: dict[int | str, dict | None]) -> bool:
        """Write these documents to the live generation; False when there is none."""
        if not documents:
            return True
        with self.exclusive():
            name = self.current_name()
            if name is None:
                return False
            self._write(name, documents)
        return True

    def rebuild(
        self,
        sources: list[Callable[[], Iterable[list[tuple[int | str, dict | None]]]]],
        reload: Callable[[set[int | str]], dict[int | str, dict | None]],
        on_batch: Callable[[int], None] | None = None,
        prepare: Callable[[Path], None] | None = None,
    ) -> str:
        """Build a fresh generation from `sources` (one segment and process each), catch up on writes made meanwhile, swap it in.

        `prepare(path)` runs on the new generation just before it goes live (the feed stores its starting position there).
        """
        self.root.mkdir(parents=True, exist_ok=True)
        with self.exclusive():
            old = self.current_name()
            offset = _journal_size(self.root / old / JOURNAL) if old else 0
        name = f"gen-{time.strftime('%Y%m%d%H%M%S')}-{uuid.uuid4().hex[:8]}"
        path = self.root / name
        path.mkdir()
        try:
            write_fresh(whoosh_index.create_in(str(path), build_schema()), sources, on_batch)
            with self.exclusive():
                old_now = self.current_name()
                changed = _journal_ids(self.root / old_now / JOURNAL, offset if old_now == old else 0) if old_now else set()
                if changed:
                    self._write(name, reload(changed))
                if prepare is not None:
                    prepare(path)
                self._set_current(name)
        except BaseException:
            shutil.rmtree(path, ignore_errors=True)
            raise
        self._remove_old_generations(keep={name, old or ""})
        return name

    def _remove_old_generations(self, keep: set[str]) -> None:
        # The previous generation stays: other workers may still be reading it.
        for child in self.root.glob("gen-*"):
            if child.name not in keep:
                shutil.rmtree(child, ignore_errors=True)

    def indexed_stamps(self) -> dict[int | str, str]:
        """Every live document's key and the version stamp it was indexed from."""
        searcher = self.searcher()
        stamps = {}
        for docnum in searcher.reader().all_doc_ids():
            stored = searcher.stored_fields(docnum)
            stamps[parse_key(stored["id"])] = stored.get("stamp", "")
        return stamps

    def keys_with(self, fieldname: str, values: set[str]) -> set[int | str]:
        """Keys of live documents holding any of these terms (e.g. the threads of a deleted space)."""
        if not values:
            return set()
        try:
            searcher = self.searcher()
        except IndexUnavailable:
            return set()
        keys: set[int | str] = set()
        for value in values:
            for docnum in searcher.docs_for_query(wq.Term(fieldname, value)):
                keys.add(parse_key(searcher.stored_fields(docnum)["id"]))
        return keys

    def schema_current(self) -> bool:
        """True when the live generation has every field this code writes (else it needs a rebuild)."""
        try:
            return set(build_schema().names()) <= set(self.searcher().schema.names())
        except IndexUnavailable:
            return False


def _footprint(value: int | dict) -> int:
    """Roughly the bytes a cached bitset (or map of bitsets) holds."""
    if isinstance(value, dict):
        return 64 + sum(_footprint(bits) + 32 for bits in value.values())
    return 28 + value.bit_length() // 8


def _live_bits(reader) -> int:  # noqa: ANN001 - a Whoosh SegmentReader
    """Bitset of the segment's documents that are not deleted."""
    return bits_of(list(reader.all_doc_ids()), reader.doc_count_all())


def open_generation(path: Path):  # noqa: ANN201 - a Whoosh FileIndex
    """Open one generation without mmap: Whoosh copies mapped columns into memory as well, so
    a searcher over 20,000 items held 92 MB of file pages and 92 MB of copies; read() keeps it near 1 MB."""
    return FileStorage(str(path), supports_mmap=False).open_index()


def _up_to_date(index, searcher: Searcher) -> bool:  # noqa: ANN001 - a Whoosh FileIndex
    """True when no writer committed to this generation since the searcher opened."""
    try:
        return index.latest_generation() == searcher.reader().generation()
    except Exception:  # noqa: BLE001 - unreadable TOC: reopen, which reports properly
        return False


def _journal_size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _journal_ids(path: Path, offset: int) -> set[int | str]:
    try:
        with open(path) as journal:
            journal.seek(offset)
            return {parse_key(line) for line in journal.read().split() if line}
    except OSError:
        return set()
