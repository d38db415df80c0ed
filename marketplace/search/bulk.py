"""A bulk segment writer for full rebuilds: postings gathered per term in memory, written a block at a time.

Whoosh's own SegmentWriter pushes every posting through a sorting pool and then through
several Python calls per posting (length lookups, block buffering): about 17 µs each, and
a 50,000-item catalog has some 38 million postings. Here postings are appended to one
array per term while documents arrive (already in document order, so nothing is sorted),
and at commit each term's blocks are cut from those arrays and handed to Whoosh's own
block encoder. The files written are ordinary Whoosh segments that any reader opens.
"""

from __future__ import annotations

import gc
import logging
import multiprocessing
import os
import queue
import shutil
import time
from array import array
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager

from whoosh import formats
from whoosh.index import TOC
from whoosh.util.numeric import byte_to_length, length_to_byte
from whoosh.writing import SegmentWriter

log = logging.getLogger(__name__)
SCAN_STORED_AT = 1000  # keys to delete from which one scan of the stored ids is cheaper than lookups
SILENCE_LIMIT = 600.0  # seconds without news from a build process before the build is abandoned
PARALLEL_ADD_AT = 2000  # documents to add from which a write is split across processes


class BulkUnsupported(Exception):
    """The schema or index needs something this writer does not do; use Whoosh's writer."""


class FieldPostings:
    """One field's postings in arrival order: each document's terms and frequencies, appended whole."""

    __slots__ = ("terms", "freqs", "docnums", "sizes")

    def __init__(self) -> None:
        self.terms: list[str | bytes] = []
        self.freqs = array("I")
        self.docnums = array("I")
        self.sizes = array("I")

    def add(self, docnum: int, counts: Mapping[str | bytes, int]) -> None:
        """Record one document's distinct terms with their frequencies (docnums arrive in increasing order)."""
        if counts:
            self.terms.extend(counts)
            self.freqs.extend(counts.values())
            self.docnums.append(docnum)
            self.sizes.append(len(counts))


def _check_schema(schema) -> None:  # noqa: ANN001 - a Whoosh Schema
    for name, field in schema.items():
        if not field.indexed:
            continue
        if not isinstance(field.format, (formats.Existence, formats.Frequency)):
            raise BulkUnsupported(f"field {name!r} needs positions or characters")
        if field.vector or field.separate_spelling() or field.column_type:
            raise BulkUnsupported(f"field {name!r} has vectors, separate spelling or a column")


class BulkWriter(SegmentWriter):
    """Writes one new segment, much faster than Whoosh's writer.

    Into an empty index by default; with `append=True` beside the existing segments, which
    are never merged here (deletions in them are marked, as Whoosh's own writer does).
    """

    def __init__(self, ix, append: bool = False, **options) -> None:  # noqa: ANN001 - a Whoosh Index
        super().__init__(ix, **options)
        if self.segments and not append:
            self.cancel()
            raise BulkUnsupported("the bulk writer only builds a fresh index")
        try:
            _check_schema(self.schema)
        except BulkUnsupported:
            self.cancel()
            raise
        self._postings: dict[str, FieldPostings] = {}
        self._lengths: dict[str, array] = {}  # scorable field -> quantised length per docnum

    def add_document(self, **fields) -> None:
        """Add one document (no `_boost` or `_stored_*` keywords)."""
        self._check_state()
        docnum = self.docnum
        self.perdocwriter.start_doc(docnum)
        for name in sorted(fields):
            value = fields[name]
            if value is None:
                continue
            field = self.schema[name]
            length = self._add_terms(name, field, value, docnum) if field.indexed else 0
            if field.scorable:
                self._record_length(name, docnum, length)
            self.perdocwriter.add_field(name, field, value if field.stored else None, length)
        self.perdocwriter.finish_doc()
        self._added = True
        self.docnum += 1

    def delete_keys(self, fieldname: str, keys: Iterable[str]) -> None:
        """Mark every existing document holding one of these unique (stored) keys as deleted."""
        wanted = set(keys)
        if not self.segments or not wanted:
            return
        reader = self.reader()
        try:
            if len(wanted) >= SCAN_STORED_AT:
                # One pass over the small stored fields beats a term lookup per key per segment.
                found = (docnum for docnum, stored in reader.iter_docs() if stored.get(fieldname) in wanted)
            else:
                found = (docnum for key in wanted if (fieldname, key) in reader
                         for docnum in reader.postings(fieldname, key).all_ids())
            for docnum in list(found):
                self.delete_document(docnum)
        finally:
            reader.close()

    def commit_appended(self, segments: list | None = None) -> None:
        """Write the deletions, this writer's new segment and any built by other processes, merging nothing."""
        if not segments:
            self.commit(merge=False)
            return
        self._check_state()
        final = list(self.segments)
        if self._added:
            final.append(self._finalize_segment())
        else:
            self._close_segment()
        self._commit_toc(final + segments)
        self._finish()

    def _add_terms(self, name: str, field, value, docnum: int) -> int:  # noqa: ANN001
        postings = self._postings.get(name)
        if postings is None:
            postings = self._postings[name] = FieldPostings()
        counts = _term_counts(field, value)
        postings.add(docnum, counts)
        return sum(counts.values()) if field.scorable else 0

    def _record_length(self, name: str, docnum: int, length: int) -> None:
        lengths = self._lengths.get(name)
        if lengths is None:
            lengths = self._lengths[name] = array("I")
        lengths.extend([0] * (docnum + 1 - len(lengths)))
        # What a reader would give back for this document: the length byte, decoded.
        lengths[docnum] = byte_to_length(length_to_byte(length)) if length else 0

    def _flush_segment(self) -> None:
        from marketplace.search import blocks  # numpy: loaded only where segments are written

        self.perdocwriter.close()
        writer = self.fieldwriter
        for name in sorted(self._postings):
            blocks.write_field(writer, name, self.schema[name], self._postings.pop(name), self._lengths.get(name))
        table = writer._tindex
        table._write_hashes = lambda: blocks.write_hash_tables(table)  # Whoosh's writes each slot on its own
        writer.close()


def _term_counts(field, value) -> Mapping[str | bytes, int]:  # noqa: ANN001
    counted = getattr(field.format, "term_counts", None)
    if counted is not None:
        return counted(value)  # our analysis: a Counter of str terms, built at C speed
    return {text: freq for text, freq, _weight, _value in field.index(value)}


Batch = list[tuple[object, dict | None]]
Source = Callable[[], Iterable[Batch]]


def replace_documents(ix, documents: dict, keyfield: str = "id", procs: int = 1) -> None:  # noqa: ANN001 - a Whoosh Index
    """Replace (dict) or delete (None) many documents at once: new segments, old copies marked deleted.

    The new documents are written by forked processes (several from PARALLEL_ADD_AT documents
    and with `procs` > 1), so the writer's arrays and numpy never weigh on the calling worker;
    nothing is visible until the TOC lists the new segments.
    """
    _check_schema(ix.schema)  # refused here, before any process starts; the caller then uses Whoosh's writer
    added = [document for document in documents.values() if document is not None]
    segments = []
    if added:
        procs = max(1, min(procs, len(added) // (PARALLEL_ADD_AT // 2)))
        size = -(-len(added) // procs)
        with _segments_in_processes(ix, [_fixed_source(added[n * size:(n + 1) * size]) for n in range(procs)],
                                    None, append=True) as pending:
            segments = pending()
    # The caller holds the index's write lock; the children's shared temp folder is gone by now.
    writer = BulkWriter(ix, append=True, _lk=False)
    try:
        writer.delete_keys(keyfield, (str(key) for key in documents))
    except BaseException:
        writer.cancel()
        raise
    writer.commit_appended(segments)


def _fixed_source(documents: list[dict]) -> Source:
    def batches() -> Iterable[Batch]:
        yield [(None, document) for document in documents]
    return batches


def write_fresh(ix, sources: list[Source], on_batch: Callable[[int], None] | None = None) -> None:  # noqa: ANN001
    """Fill an empty index from `sources`: one segment each, each built in a forked process."""
    try:
        _check_schema(ix.schema)
    except BulkUnsupported as reason:
        log.warning("search rebuild uses Whoosh's writer: %s", reason)
        _write_with_whoosh(ix, sources, on_batch)
        return
    _write_in_processes(ix, sources, on_batch)


def _write_with_whoosh(ix, sources: list[Source], on_batch: Callable[[int], None] | None) -> None:  # noqa: ANN001
    writer = ix.writer(limitmb=256)
    try:
        for source in sources:
            for batch in source():
                _add_batch(writer, batch)
                if on_batch:
                    on_batch(len(batch))
    except BaseException:
        writer.cancel()
        raise
    writer.commit()


def _add_batch(writer, batch: Batch) -> None:  # noqa: ANN001
    for _key, document in batch:
        if document is not None:
            writer.add_document(**document)


def _write_in_processes(ix, sources: list[Source], on_batch: Callable[[int], None] | None) -> None:  # noqa: ANN001
    with _segments_in_processes(ix, sources, on_batch) as pending:
        segments = pending()
    TOC(ix.schema, segments, ix.latest_generation() + 1).write(ix.storage, ix.indexname)


@contextmanager
def _segments_in_processes(ix, sources: list[Source], on_batch: Callable[[int], None] | None,  # noqa: ANN001
                           append: bool = False) -> Iterator[Callable[[], list]]:
    """Start one process per source, each writing one segment; yields a call that waits for their segments, in order."""
    # Forked children inherit the sources (closures over documents already read) without
    # pickling. Sources that read the database (`fresh = True`) are forked instead by a fork
    # server, a single-threaded process started once: a child forked while another thread of
    # this process is inside SQLite inherits SQLite's locks held and hangs on its first read.
    # The caller lists the segments in a TOC.
    context = _fresh_context() if all(getattr(source, "fresh", False) for source in sources) else multiprocessing.get_context("fork")
    messages = context.Queue()
    workers = [context.Process(target=_build_part, args=(ix, part, source, messages, append), daemon=True)
               for part, source in enumerate(sources)]
    for worker in workers:
        worker.start()
    try:
        yield lambda: _collect(workers, messages, on_batch)
    finally:
        for worker in workers:
            worker.join(timeout=10)
            if worker.is_alive():
                worker.kill()
        shutil.rmtree(os.path.join(ix.storage.folder, f"{ix.indexname}.tmp"), ignore_errors=True)


def _fresh_context():  # noqa: ANN202 - a multiprocessing context
    context = multiprocessing.get_context("forkserver")
    # The server imports what a build process needs once; each build then forks from it in milliseconds.
    context.set_forkserver_preload(["marketplace.search.admin", "marketplace.search.blocks"])
    return context


def _collect(workers, messages, on_batch) -> list:  # noqa: ANN001
    segments: dict[int, object] = {}
    heard = time.monotonic()
    while len(segments) < len(workers):
        try:
            kind, part, value = messages.get(timeout=0.5)
            heard = time.monotonic()
        except queue.Empty:
            if any(worker.exitcode not in (None, 0) for worker in workers):
                raise RuntimeError("a search build process died") from None
            if time.monotonic() - heard > SILENCE_LIMIT:
                raise RuntimeError("a search build process stopped answering") from None
            continue
        if kind == "error":
            raise RuntimeError(f"search build process {part} failed: {value}")
        if kind == "segment":
            segments[part] = value
        elif on_batch:
            on_batch(value)
    return [segments[part] for part in sorted(segments)]


def _build_part(ix, part: int, source: Source, messages, append: bool = False) -> None:  # noqa: ANN001
    # The objects inherited from the parent (a whole web worker's, or the bench's) never become
    # garbage here: frozen, the collections that the writer's many small dicts trigger skip them
    # instead of walking (and copying on write) the parent's heap.
    gc.freeze()
    try:
        writer = BulkWriter(ix, append=append, _lk=False)  # the parent holds the lock and writes the TOC
        for batch in source():
            _add_batch(writer, batch)
            messages.put(("batch", part, len(batch)))
        # Finish this segment's files, but leave the shared temp folder to the parent.
        messages.put(("segment", part, writer._finalize_segment()))
    except BaseException as error:  # noqa: BLE001 - reported to the parent, which fails the rebuild
        messages.put(("error", part, repr(error)))
        raise
