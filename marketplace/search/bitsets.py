"""Sets of documents as Python ints (bit n: docnum n): the newest first, and counting per document."""

from __future__ import annotations


def highest(bits: int, limit: int) -> list[int]:
    """The highest docnums set in `bits`: mostly the newest documents."""
    docnums = []
    while bits and len(docnums) < limit:
        top = bits.bit_length() - 1
        docnums.append(top)
        bits ^= 1 << top
    return docnums


def bit_counter(sets: list[int]) -> list[int]:
    """Bit-sliced counters: plane n holds bit n of how many of `sets` hold each document."""
    planes: list[int] = []
    for bits in sets:
        carry = bits
        for n, plane in enumerate(planes):
            planes[n], carry = plane ^ carry, plane & carry
            if not carry:
                break
        if carry:
            planes.append(carry)
    return planes


def exactly(planes: list[int], count: int, universe: int) -> int:
    """Documents of `universe` counted exactly `count` times."""
    if count >= 1 << len(planes):
        return 0
    found = universe
    for n, plane in enumerate(planes):
        found &= plane if count >> n & 1 else ~plane
    return found
