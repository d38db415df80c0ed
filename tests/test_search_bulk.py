"""The bulk rebuild writer produces the same index as Whoosh's own writer, term for term."""

from __future__ import annotations

import random

import pytest
from whoosh import fields
from whoosh import index as whoosh_index

from marketplace.search.bulk import BulkUnsupported, BulkWriter
from marketplace.search.schema import build_schema

WORDS = ["expense", "claim", "rejected", "receipt", "approver", "travel", "café", "naïve", "onboarding", "checklist", "forklift", "pallet", "wrap", "safety"]


def _documents(count: int, seed: int = 3) -> list[dict]:
    rng = random.Random(seed)

    def text(n: int) -> str:
        return " ".join(rng.choice(WORDS) for _ in range(n))

    documents = []
    for n in range(count):
        document = {
            "id": str(n), "stamp": f"1:{n}", "kind": "item", "moment": rng.choice(["new", "solve"]),
            "type": "job_aid", "department": rng.choice(["", "sales"]), "kpi": "kpi-a,kpi-b" if n % 3 else "kpi-a",
            "skill": "" if n % 4 else "excel", "title": text(rng.randint(1, 6)), "summary": text(rng.randint(5, 30)),
            "tags": text(3), "body": text(rng.randint(0, 400)), "title_prefix": "", "summary_prefix": "", "spell": "",
        }
        document["title_prefix"] = document["title"]
        document["summary_prefix"] = document["summary"]
        document["spell"] = document["title"] + " " + document["summary"]
        documents.append(document)
    return documents


def _build(path, documents: list[dict], bulk: bool):
    path.mkdir()
    ix = whoosh_index.create_in(str(path), build_schema())
    writer = BulkWriter(ix) if bulk else ix.writer()
    for document in documents:
        writer.add_document(**document)
    writer.commit()
    return whoosh_index.open_dir(str(path)).reader()


def _postings(reader, fieldname, text) -> list[tuple]:
    matcher = reader.postings(fieldname, text)
    found = []
    while matcher.is_active():
        found.append((matcher.id(), matcher.weight(), matcher.value(), matcher.block_min_length(), matcher.block_max_length()))
        matcher.next()
    return found


def _term_stats(reader, fieldname, text) -> tuple:
    info = reader.term_info(fieldname, text)
    return info.weight(), info.doc_frequency(), info.min_length(), info.max_length(), info.max_weight(), info.min_id(), info.max_id()


@pytest.mark.parametrize("window", [1 << 18, 37])  # postings as Python lists at once: the whole field, or a few terms
def test_bulk_index_equals_whooshs_own(tmp_path, monkeypatch, window):
    from marketplace.search import blocks

    monkeypatch.setattr(blocks, "WINDOW_POSTINGS", window)
    documents = _documents(700)  # several 128-posting blocks for the common words
    ours, theirs = _build(tmp_path / "bulk", documents, True), _build(tmp_path / "whoosh", documents, False)
    terms = list(theirs.all_terms())
    assert list(ours.all_terms()) == terms and len(terms) > 100
    for fieldname, text in terms:
        assert _term_stats(ours, fieldname, text) == _term_stats(theirs, fieldname, text), (fieldname, text)
        assert _postings(ours, fieldname, text) == _postings(theirs, fieldname, text), (fieldname, text)
    for docnum in range(theirs.doc_count_all()):
        assert ours.stored_fields(docnum) == theirs.stored_fields(docnum)
        for fieldname in build_schema().scorable_names():
            assert ours.doc_field_length(docnum, fieldname) == theirs.doc_field_length(docnum, fieldname)
    for fieldname in build_schema().scorable_names():
        assert ours.field_length(fieldname) == theirs.field_length(fieldname)
        assert ours.max_field_length(fieldname) == theirs.max_field_length(fieldname)


def test_bulk_writer_refuses_what_it_cannot_write(tmp_path):
    (tmp_path / "phrases").mkdir()
    with_positions = whoosh_index.create_in(str(tmp_path / "phrases"), fields.Schema(body=fields.TEXT()))
    with pytest.raises(BulkUnsupported):
        BulkWriter(with_positions)
    (tmp_path / "full").mkdir()
    full = whoosh_index.create_in(str(tmp_path / "full"), build_schema())
    writer = full.writer()
    writer.add_document(id="1", title="Existing")
    writer.commit()
    with pytest.raises(BulkUnsupported):
        BulkWriter(full)  # only fresh indexes: merging segments is Whoosh's job
    full.writer().cancel()  # the refused writers released the lock


def test_block_wise_posting_ids_equal_whooshs_all_ids(tmp_path):
    from marketplace.search.index import posting_ids

    reader = _build(tmp_path / "bulk", _documents(400), True)
    for fieldname, text in reader.all_terms():
        assert list(posting_ids(reader.postings(fieldname, text))) == list(reader.postings(fieldname, text).all_ids())


def _live(reader) -> dict[str, dict]:
    """Each live document's stored id -> its terms per scored field, from the postings."""
    live = {reader.stored_fields(d)["id"]: d for d in reader.all_doc_ids()}
    assert len(live) == reader.doc_count()  # one live copy per key
    terms: dict[str, dict] = {key: {} for key in live}
    by_docnum = {d: key for key, d in live.items()}
    for fieldname, text in reader.all_terms():
        if fieldname in ("title", "body", "title_prefix"):
            for docnum in reader.postings(fieldname, text).all_ids():
                if docnum in by_docnum:
                    terms[by_docnum[docnum]].setdefault(fieldname, set()).add(text)
    return terms


@pytest.mark.parametrize("procs", [1, 2])
def test_replacing_many_documents_in_bulk_equals_whooshs_updates(tmp_path, procs, monkeypatch):
    from marketplace.search import bulk

    monkeypatch.setattr(bulk, "PARALLEL_ADD_AT", 40)  # fork at test size
    first, later = _documents(300, seed=3), _documents(300, seed=9)
    changes: dict = {str(n): later[n] for n in range(0, 300, 2)}  # every other document rewritten
    changes.update({str(n): None for n in range(1, 60, 2)})  # some deleted
    changes["new-1"] = {**later[1], "id": "new-1"}  # one added
    _build(tmp_path / "bulk", first, True).close()
    _build(tmp_path / "whoosh", first, False).close()
    bulk.replace_documents(whoosh_index.open_dir(str(tmp_path / "bulk")), changes, procs=procs)
    ix_whoosh = whoosh_index.open_dir(str(tmp_path / "whoosh"))
    writer = ix_whoosh.writer()
    for key, document in changes.items():
        writer.delete_by_term("id", key)
        if document is not None:
            writer.add_document(**document)
    writer.commit()
    ours, theirs = whoosh_index.open_dir(str(tmp_path / "bulk")).reader(), ix_whoosh.reader()
    assert ours.doc_count() == theirs.doc_count() == 300 - 30 + 1
    assert _live(ours) == _live(theirs)
    assert len(whoosh_index.open_dir(str(tmp_path / "bulk"))._segments()) == 1 + procs  # the old one, plus one per process
    assert not (tmp_path / "bulk" / "MAIN.tmp").exists()  # the forked writers' scratch space is gone


def test_a_large_write_to_the_live_index_goes_through_the_bulk_writer(tmp_path, monkeypatch):
    from marketplace.search import index as search_index

    monkeypatch.setattr(search_index, "BULK_WRITE_AT", 2)
    calls = []
    original = search_index.replace_documents
    monkeypatch.setattr(search_index, "replace_documents", lambda *a, **k: calls.append(len(a[1])) or original(*a, **k))
    index = search_index.SearchIndex(tmp_path / "index")
    documents = {n: {**d, "id": str(n)} for n, d in enumerate(_documents(30), start=1)}
    index.rebuild([lambda: iter([list(documents.items())[:20]])], reload=lambda keys: {})
    assert index.apply({k: v for k, v in documents.items() if k > 10}) and calls == [20]
    searcher = index.searcher()
    assert sorted(int(searcher.stored_fields(d)["id"]) for d in searcher.reader().all_doc_ids()) == list(range(1, 31))
    assert index.apply({1: None, 2: None, 3: documents[3]}) and calls == [20, 3]
    searcher = index.searcher()
    assert sorted(int(searcher.stored_fields(d)["id"]) for d in searcher.reader().all_doc_ids()) == list(range(3, 31))
    index.release()


def test_hash_tables_are_written_byte_for_byte_as_whoosh_writes_them():
    import io

    from whoosh.filedb.filetables import OrderedHashWriter
    from whoosh.filedb.structfile import StructFile

    from marketplace.search.blocks import write_hash_tables

    def written(ours: bool) -> bytes:
        buffer = io.BytesIO()
        buffer.close = lambda: None  # keep the bytes readable after the writer closes its file
        table = OrderedHashWriter(StructFile(buffer))
        for n in range(3000):  # enough rows that buckets collide and probe
            table.add(b"key-%06d" % n, b"v" * (n % 7))
        if ours:
            table._write_hashes = lambda: write_hash_tables(table)
        table.close()
        return buffer.getvalue()

    assert written(True) == written(False)


def test_row_lengths_hashes_and_length_bytes_match_whooshs_helpers():
    import numpy as np
    from whoosh.filedb.filetables import md5_hash
    from whoosh.util.numeric import length_to_byte

    from marketplace.search.blocks import _length_bytes, _md5_low_bits

    lengths = list(range(0, 2000)) + [10**5, 106373, 106374, 10**7]
    assert _length_bytes(np.array(lengths)).tolist() == [length_to_byte(n) if n else 0 for n in lengths]
    for n in range(2000):
        key = b"\x00\x03" + str(n).encode()
        assert _md5_low_bits(key) == md5_hash(key)


def test_the_writing_process_never_loads_numpy(tmp_path):
    import subprocess
    import sys

    # A fresh interpreter, as a web worker is: the forked build processes load numpy, the caller does not.
    code = f"""
import sys
from whoosh import index as wi
from marketplace.search import bulk
from marketplace.search.schema import build_schema
from tests.test_search_bulk import _documents
documents = _documents(300)
ix = wi.create_in({str(tmp_path)!r}, build_schema())
bulk.write_fresh(ix, [lambda: iter([[(None, d) for d in documents[:200]]])])
bulk.replace_documents(wi.open_dir({str(tmp_path)!r}), {{d["id"]: d for d in documents[100:]}})
reader = wi.open_dir({str(tmp_path)!r}).reader()
print(reader.doc_count(), "numpy" in sys.modules)
"""
    printed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120).stdout.split()
    assert printed == ["300", "False"]
