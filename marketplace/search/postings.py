"""Posting lists and length columns decoded a block at a time into bitsets (Python ints).

Whoosh's matcher API makes several Python calls per posting; these read each block's
arrays whole. They rely on the Whoosh 2.7 "W3" codec's block layout (Whoosh is pinned)
and fall back to the public matcher API for any other matcher.
"""

from __future__ import annotations

import pickle
import zlib
from array import array
from collections import defaultdict
from collections.abc import Iterable, Iterator
from io import BytesIO
from itertools import accumulate

from whoosh.codec.whoosh3 import LENGTHS_COLUMN, WHOOSH3_HEADER_MAGIC, W3LeafMatcher, _lenfield
from whoosh.matching.wrappers import FilterMatcher
from whoosh.system import _INT_SIZE, unpack_int

_DIGITS = ord("0"), ord("1")


def bits_of(docnums: Iterable[int], size: int) -> int:
    """A Python int with bit n set for every docnum n (fast AND and popcount)."""
    docnums = docnums if isinstance(docnums, list | tuple) else list(docnums)
    if len(docnums) * 64 < size:  # sparse: set bits in a byte buffer an eighth of the size
        buffer = bytearray((size >> 3) + 1)
        for docnum in docnums:
            buffer[docnum >> 3] |= 1 << (docnum & 7)
        return int.from_bytes(buffer, "little")
    # Dense: one ASCII digit per document, parsed as a binary numeral at C speed (three
    # times faster than the shifts above for a 50,000-document posting list).
    digits = bytearray(b"0") * (max(docnums, default=-1) + 1)
    one = _DIGITS[1]
    for docnum in docnums:
        digits[docnum] = one
    digits.reverse()
    return int(digits, 2) if digits else 0


def value_bits(values: bytes, value: int) -> int:
    """Bitset of the positions in `values` that hold `value`, without a Python step per position."""
    table = bytearray(b"0") * 256
    table[value] = _DIGITS[1]
    digits = bytearray(values.translate(table))
    digits.reverse()
    return int(digits, 2) if digits else 0


def lowest(bits: int, limit: int) -> list[int]:
    """The lowest docnums set in `bits`, at most `limit` of them, ascending."""
    docnums = []
    while bits and len(docnums) < limit:
        low = bits & -bits
        docnums.append(low.bit_length() - 1)
        bits ^= low
    return docnums


def _blocks(matcher) -> Iterator[tuple]:  # noqa: ANN001 - a W3LeafMatcher
    """Each block's (id deltas, weights) of a W3 posting list, from one read of its bytes.

    Whoosh reads a block's header through a pickle load on the file (some twenty small
    reads per block); the whole list is one contiguous range, read here at once.
    """
    extent = matcher._length
    extent = extent[0] if isinstance(extent, tuple) else extent  # Whoosh's reader leaves it a 1-tuple
    start = matcher._startoffset + len(WHOOSH3_HEADER_MAGIC)
    data = matcher._postfile.get(start, extent - len(WHOOSH3_HEADER_MAGIC))
    view = BytesIO(data)
    position, last = 0, False
    while not last:
        (length,) = unpack_int(data[position:position + _INT_SIZE])
        last, length = length < 0, abs(length)
        view.seek(position + _INT_SIZE)
        compression = pickle.load(view)[3]
        body = data[view.tell():position + _INT_SIZE + length]
        block = pickle.loads(zlib.decompress(body) if compression else body)
        yield block[0], block[1]
        position += _INT_SIZE + length


def posting_ids(matcher) -> Iterable[int]:  # noqa: ANN001 - a Whoosh Matcher
    """Every docnum of a posting list, decoded a block at a time where the format allows."""
    if type(matcher) is not W3LeafMatcher:
        return matcher.all_ids()  # e.g. a segment with deletions wraps it in a filter
    # Whoosh's all_ids() makes three Python calls per posting; a block's ids are stored as
    # deltas, which accumulate() turns back into docnums at C speed.
    ids: list[int] = []
    for deltas, _ in _blocks(matcher):
        ids.extend(accumulate(deltas))
    return ids


def _float32(value: float) -> float:
    """The value as Whoosh hands it out: stored as a 32-bit float."""
    return array("f", [value])[0]


def posting_weights(matcher) -> dict[float, list[int]]:  # noqa: ANN001 - a Whoosh Matcher
    """Docnums of a posting list grouped by weight (term frequency times field boost).

    Deleted documents are kept: every caller intersects with a set of live documents.
    """
    if isinstance(matcher, FilterMatcher):
        matcher = matcher.child
    groups: dict[float, list[int]] = defaultdict(list)
    if type(matcher) is not W3LeafMatcher:
        while matcher.is_active():
            groups[matcher.weight()].append(matcher.id())
            matcher.next()
        return groups
    for deltas, weights in _blocks(matcher):
        ids = list(accumulate(deltas))
        if weights is None or isinstance(weights, float):  # a block whose postings all weigh the same
            groups[1.0 if weights is None else _float32(weights)].extend(ids)
        else:
            for docnum, weight in zip(ids, weights, strict=True):
                groups[weight].append(docnum)
    return groups


def length_bytes(reader, fieldname: str) -> bytes:  # noqa: ANN001 - a Whoosh SegmentReader
    """Each document's field length in this segment, in Whoosh's one-byte encoding (0: empty)."""
    count = reader.doc_count_all()
    column = reader._perdoc._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
    if column is None:
        return bytes(count)
    try:  # a fixed one-byte column: read it whole instead of a call per document
        stored = column._dbfile.get(column._basepos, min(column._count, count))
    except AttributeError:
        stored = bytes(column.load())
    return stored + bytes(count - len(stored))


def length_groups(reader, fieldname: str) -> dict[int, int]:  # noqa: ANN001 - a Whoosh SegmentReader
    """Length byte -> bitset of this segment's documents with that length in the field."""
    lengths = length_bytes(reader, fieldname)
    return {value: value_bits(lengths, value) for value in set(lengths) if value}
