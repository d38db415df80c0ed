"""One field's postings, gathered in arrival order and written as Whoosh 3 posting blocks with array arithmetic.

The bulk writer used to keep a pair of arrays per term and push each posting through
Python: about a microsecond to gather it and several more to encode it, which made a
10,000-item catch-up take half a minute. Here a document's terms are appended to flat
lists at C speed; at flush numpy groups them by term (a stable sort keeps docnum order)
and computes every block's deltas, weights and bounds at once, leaving Python one small
loop per term that pickles what Whoosh's own writer pickles. The files are ordinary
Whoosh 3 segments (`tests/test_search_bulk.py` reads them back through Whoosh, term by term).

numpy is imported only here, and the bulk writer runs in forked build processes, so
web workers never load it.
"""

from __future__ import annotations

import pickle
import zlib
from array import array
from bisect import bisect_right
from hashlib import md5
from typing import TYPE_CHECKING

import numpy as np
from whoosh import formats
from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC, W3TermInfo
from whoosh.filedb.filetables import _lengths, _pointer, md5_hash
from whoosh.system import pack_int, pack_long, pack_ushort
from whoosh.util.numeric import _length_byte_cache

if TYPE_CHECKING:
    from marketplace.search.bulk import FieldPostings

COMPRESS_AT = 256  # a block's pickle shorter than this is stored as is (5% more bytes, a third fewer zlib calls)
COMPRESSION = 3  # zlib level, as Whoosh's writer uses
# A block is at most a few kilobytes: a 4 KB window and small hash tables compress it as well,
# and set up several times faster than zlib.compress's defaults. Whoosh's zlib.decompress reads it.
WINDOW_BITS, MEMORY_LEVEL = 12, 2
FLUSH_BYTES = 8 << 20  # postings bytes buffered before they are written out
WINDOW_POSTINGS = 1 << 18  # postings held as Python lists at once (see _Grouped.window)
NO_LENGTH = np.iinfo(np.int32).max
_TERM_INFO = W3TermInfo._struct
_RECORD_LENGTHS = _lengths  # a hash file record starts with its key's and value's lengths
_EMPTY_SLOT = _pointer.pack(0, 0)
_LENGTH_BYTES = np.frombuffer(_length_byte_cache, dtype=np.int32)


def _length_bytes(lengths: np.ndarray) -> np.ndarray:
    """Whoosh's length_to_byte for many lengths at once (0 stays 0)."""
    found = np.searchsorted(_LENGTH_BYTES, lengths, side="left")
    return np.minimum(found, 255)


class _Grouped:
    """A field's postings sorted by term, with the bounds of each term and of each block."""

    def __init__(self, postings: FieldPostings, limit: int, boost: float, lengths: array | None) -> None:
        vocabulary = sorted(set(postings.terms))  # code-point order is UTF-8 byte order
        rank = {term: n for n, term in enumerate(vocabulary)}
        term_ids = np.fromiter(map(rank.__getitem__, postings.terms), dtype=np.int32, count=len(postings.terms))
        postings.terms.clear()
        order = np.argsort(term_ids, kind="stable")
        # 32-bit throughout: a segment's docnums are 32-bit in Whoosh too, and a big build's
        # field holds millions of postings.
        docnums = np.repeat(np.frombuffer(postings.docnums, dtype=np.uint32).astype(np.int32),
                            np.frombuffer(postings.sizes, dtype=np.uint32))[order]
        freqs = np.frombuffer(postings.freqs, dtype=np.uint32)[order]
        counts = np.bincount(term_ids, minlength=len(vocabulary))
        del term_ids, order
        self.vocabulary = vocabulary
        self.ends = np.cumsum(counts)
        self.starts = self.ends - counts
        self._blocks(counts, limit)
        self._postings(docnums, freqs, boost, lengths)
        self.start_list, self.end_list = self.starts.tolist(), self.ends.tolist()
        self.window(0, 0)

    def _blocks(self, counts: np.ndarray, limit: int) -> None:
        per_term = (counts + limit - 1) // limit
        owner = np.repeat(np.arange(len(counts)), per_term)
        first = np.cumsum(per_term) - per_term
        self.block_starts = self.starts[owner] + (np.arange(len(owner)) - first[owner]) * limit
        self.block_ends = np.minimum(self.block_starts + limit, self.ends[owner])
        self.block_counts = per_term

    def _postings(self, docnums: np.ndarray, freqs: np.ndarray, boost: float, lengths: array | None) -> None:
        starts, block_starts = self.starts, self.block_starts
        previous = np.empty_like(docnums)
        previous[0] = 0
        previous[1:] = docnums[:-1]
        previous[block_starts] = 0  # each block's first id is stored whole, the rest as gaps
        self._deltas = docnums - previous
        del previous
        weights = freqs.astype(np.float32) * np.float32(boost)  # Whoosh keeps weights as 32-bit floats
        self._weights = weights
        self.values = freqs.astype(">u4").tobytes()  # Frequency's fixed-size values: "!I" each
        self.block_last_id = docnums[self.block_ends - 1].tolist()
        self.term_first_id, self.term_last_id = docnums[starts].tolist(), docnums[self.ends - 1].tolist()
        self.block_max_weight = np.maximum.reduceat(weights, block_starts).astype(np.float64).tolist()
        self.block_uniform = (np.minimum.reduceat(weights, block_starts) == np.maximum.reduceat(weights, block_starts)).tolist()
        self.term_weight = np.add.reduceat(weights.astype(np.float64), starts).tolist()
        self.term_max_weight = np.maximum.reduceat(weights, starts).astype(np.float64).tolist()
        if lengths is None:
            zeros = [0] * len(block_starts)
            self.block_min_byte = self.block_max_byte = zeros
            self.term_min_byte = self.term_max_byte = [0] * len(starts)
            return
        known = np.frombuffer(lengths, dtype=np.uint32).astype(np.int32)
        found = np.zeros(len(docnums), dtype=np.int32)
        inside = docnums < len(known)
        found[inside] = known[docnums[inside]]
        present = np.where(found > 0, found, NO_LENGTH)
        for scope, index in (("block", block_starts), ("term", starts)):
            smallest = np.minimum.reduceat(present, index)
            smallest[smallest == NO_LENGTH] = 0  # no length known: Whoosh stores None, encoded as 0
            setattr(self, f"{scope}_min_byte", _length_bytes(smallest).tolist())
            setattr(self, f"{scope}_max_byte", _length_bytes(np.maximum.reduceat(found, index)).tolist())

    def window(self, low: int, high: int) -> None:
        """Make postings low..high (whole terms) readable as Python lists, dropping the previous window.

        A Python int or float per posting costs some 30 bytes: held for a whole field of a large
        build they took over a gigabyte, so they exist for a window of terms at a time.
        """
        self.offset = low
        self.deltas = self._deltas[low:high].tolist()
        self.weights = self._weights[low:high].astype(np.float64).tolist()


def write_field(fieldwriter, name: str, field, postings: FieldPostings, lengths: array | None) -> None:  # noqa: ANN001
    """Write one field's terms and posting lists through a W3FieldWriter's files, as its own methods would."""
    fieldwriter.start_field(name, field)
    if postings.terms:
        _write_terms(fieldwriter, field.format, postings, lengths)
    fieldwriter.finish_field()


def _write_terms(fieldwriter, format_, postings: FieldPostings, lengths: array | None) -> None:  # noqa: ANN001
    grouped = _Grouped(postings, fieldwriter._postwriter._blocklimit, format_.field_boost, lengths)
    with_values = isinstance(format_, formats.Frequency)
    postfile, table = fieldwriter._postfile, fieldwriter._tindex
    prefix = pack_ushort(fieldwriter._fieldid)
    block_starts, block_ends = grouped.block_starts.tolist(), grouped.block_ends.tolist()
    out = bytearray()
    base = postfile.tell()
    block = 0
    keys, infos = [], []
    window_end = 0
    for number, (term, blocks) in enumerate(zip(grouped.vocabulary, grouped.block_counts.tolist(), strict=True)):
        if grouped.end_list[number] > window_end:
            window_end = _next_window(grouped, number)
        offset = base + len(out)
        out += WHOOSH3_HEADER_MAGIC
        for remaining in range(blocks - 1, -1, -1):
            out += _block(grouped, block, block_starts[block], block_ends[block], with_values, remaining == 0)
            block += 1
        keys.append(prefix + (term.encode("utf-8") if isinstance(term, str) else term))
        infos.append(_term_info(grouped, number, offset, base + len(out) - offset))
        if len(out) >= FLUSH_BYTES:
            postfile.write(bytes(out))
            base += len(out)
            out.clear()
    postfile.write(bytes(out))
    _add_to_table(table, keys, infos)


def _next_window(grouped: _Grouped, number: int) -> int:
    """Open the window of whole terms from term `number` holding about WINDOW_POSTINGS postings; returns its end."""
    low = grouped.start_list[number]
    last = bisect_right(grouped.end_list, low + WINDOW_POSTINGS, lo=number) - 1
    high = grouped.end_list[max(last, number)]  # at least this term, however long its list
    grouped.window(low, high)
    return high


def _block(grouped: _Grouped, block: int, start: int, end: int, with_values: bool, last: bool) -> bytes:
    """One block as Whoosh's W3PostingsWriter._write_block lays it out: length, info pickle, data pickle."""
    low, high = start - grouped.offset, end - grouped.offset
    if grouped.block_uniform[block]:
        weight = grouped.weights[low]
        weights = None if weight == 1.0 else weight
    else:
        weights = tuple(grouped.weights[low:high])
    values = grouped.values[4 * start:4 * end] if with_values else None
    data = pickle.dumps((tuple(grouped.deltas[low:high]), weights, values), 2)
    compression = 0
    if len(data) >= COMPRESS_AT:
        compression = COMPRESSION
        packer = zlib.compressobj(COMPRESSION, zlib.DEFLATED, WINDOW_BITS, MEMORY_LEVEL)
        data = packer.compress(data) + packer.flush()
    info = pickle.dumps((end - start, grouped.block_last_id[block], grouped.block_max_weight[block], compression,
                         grouped.block_min_byte[block], grouped.block_max_byte[block]), 2)
    length = len(info) + len(data)
    return pack_int(-length if last else length) + info + data


def _term_info(grouped: _Grouped, number: int, offset: int, length: int) -> bytes:
    """The term table's value for one term: W3TermInfo.to_bytes() of a term whose postings are not inlined."""
    return _TERM_INFO.pack(0, grouped.term_weight[number], grouped.end_list[number] - grouped.start_list[number],
                           grouped.term_min_byte[number], grouped.term_max_byte[number], grouped.term_max_weight[number],
                           grouped.term_first_id[number], grouped.term_last_id[number]) + pack_long(offset) + pack_int(length)


def _md5_low_bits(key: bytes) -> int:
    """md5_hash(key) (the low 32 bits of the key's MD5), without the detour through a hex string."""
    return int.from_bytes(md5(key).digest()[12:], "big")


def _add_to_table(table, keys: list[bytes], values: list[bytes]) -> None:  # noqa: ANN001 - an OrderedHashWriter
    """What OrderedHashWriter.add does per row (keys arrive in increasing order), in one write."""
    dbfile, buckets = table.dbfile, table.buckets
    hashfn = _md5_low_bits if table.hashfn is md5_hash else table.hashfn
    position = dbfile.tell()
    records = bytearray()
    positions = array("q")
    for key, value in zip(keys, values, strict=True):
        here = position + len(records)
        positions.append(here)
        records += _RECORD_LENGTHS.pack(len(key), len(value))
        records += key
        records += value
        hashed = hashfn(key)
        buckets[hashed & 255].append((hashed, here))
    dbfile.write(bytes(records))
    table.index.extend(positions)
    if keys:
        table.lastkey = keys[-1]


def write_hash_tables(table) -> None:  # noqa: ANN001 - a HashWriter
    """HashWriter._write_hashes in one write: the same 256 open-addressing tables, byte for byte."""
    dbfile = table.dbfile
    base = dbfile.tell()
    out = bytearray()
    for entries in table.buckets:
        count = 2 * len(entries)
        table.directory.append((base + len(out), count))
        slots: list[tuple[int, int] | None] = [None] * count
        for hashed, position in entries:
            slot = (hashed >> 8) % count
            while slots[slot] is not None:
                slot = (slot + 1) % count
            slots[slot] = (hashed, position)
        out += b"".join(_pointer.pack(*entry) if entry else _EMPTY_SLOT for entry in slots)
    dbfile.write(bytes(out))
