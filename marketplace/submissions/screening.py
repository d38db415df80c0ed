"""Automatic screening: personal data and confidential terms, found before any human looks.

Each rule finds candidates with a cheap pattern and keeps only those a checksum or a real
parser confirms (Luhn for cards, ISO 13616 for IBANs, python-stdnum for national IDs,
libphonenumber for phones), so order numbers and dates do not raise false alarms.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass

import phonenumbers
from markupsafe import Markup, escape
from stdnum import iban, luhn
from stdnum.es import dni
from stdnum.fi import hetu
from stdnum.it import codicefiscale
from stdnum.us import ssn

CONTEXT = 40
LABELS = {
    "email": "Email address", "phone": "Phone number", "card": "Payment card number", "iban": "IBAN",
    "national_id": "National ID number", "confidential": "Confidential term",
}
EMAIL = re.compile(r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b")
# Digits with any common separator between them: spaces, hyphens, dots, slashes, or " - ".
CARD = re.compile(r"(?<![\d./-])(?:\d(?: - |[ ./-])?){12,18}\d(?!\d|[./-]\d)")
# "00" is the international call prefix in most of the world (0044 = +44); libphonenumber only
# understands it for some default regions, so it is rewritten to "+" (same length, offsets unchanged).
INTERNATIONAL_00 = re.compile(r"(?<![\d+])00(?=[1-9]\d)")
IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}\b")
NATIONAL_IDS = [
    (re.compile(r"\b\d{3}-\d{2}-\d{4}\b"), ssn.is_valid, "US Social Security number"),
    (re.compile(r"\b\d{8}-?[A-Z]\b"), dni.is_valid, "Spanish DNI"),
    (re.compile(r"\b\d{6}[-+A]\d{3}[0-9A-Y]\b"), hetu.is_valid, "Finnish personal identity code"),
    (re.compile(r"\b[A-Z]{6}\d{2}[A-Z]\d{2}[A-Z]\d{3}[A-Z]\b"), codicefiscale.is_valid, "Italian codice fiscale"),
]


@dataclass(frozen=True)
class Finding:
    """One thing screening found: where, what kind, and the text around it."""

    field: str
    kind: str
    match: str
    start: int
    end: int
    before: str
    after: str
    note: str = ""

    @property
    def label(self) -> str:
        return LABELS.get(self.kind, self.kind)


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def _cards(text: str) -> Iterable[tuple[int, int, str]]:
    for m in CARD.finditer(text):
        digits = _digits(m.group())
        if 13 <= len(digits) <= 19 and digits[0] in "23456" and len(set(digits)) > 1 and luhn.is_valid(digits):
            yield m.start(), m.end(), ""


def _ibans(text: str) -> Iterable[tuple[int, int, str]]:
    for m in IBAN.finditer(text):
        if iban.is_valid(m.group()):
            yield m.start(), m.end(), ""


def _national_ids(text: str) -> Iterable[tuple[int, int, str]]:
    for pattern, valid, name in NATIONAL_IDS:
        for m in pattern.finditer(text):
            if valid(m.group()):
                yield m.start(), m.end(), name


def _emails(text: str) -> Iterable[tuple[int, int, str]]:
    for m in EMAIL.finditer(text):
        yield m.start(), m.end(), ""


def _phones(text: str, region: str) -> Iterable[tuple[int, int, str]]:
    seen = set()
    for candidate in (text, INTERNATIONAL_00.sub(" +", text)):
        for m in phonenumbers.PhoneNumberMatcher(candidate, region, leniency=phonenumbers.Leniency.VALID):
            rewritten = candidate[m.start] == "+" and text[m.start] == "0"
            start = m.start - 1 if rewritten else m.start  # include the first "0" of "00"
            if (start, m.end) not in seen:
                seen.add((start, m.end))
                yield max(0, start), m.end, ""


def _terms(text: str, terms: Iterable[str]) -> Iterable[tuple[int, int, str]]:
    for term in terms:
        if term.strip():
            pattern = re.compile(r"(?<!\w)" + re.escape(term.strip()) + r"(?!\w)", re.IGNORECASE)
            for m in pattern.finditer(text):
                yield m.start(), m.end(), ""


def scan_text(field: str, text: str, terms: Iterable[str] = (), region: str = "US") -> list[Finding]:
    """Every finding in one piece of text; stronger rules win where matches overlap."""
    rules = [
        ("confidential", _terms(text, list(terms))), ("card", _cards(text)), ("iban", _ibans(text)),
        ("email", _emails(text)), ("phone", _phones(text, region)), ("national_id", _national_ids(text)),
    ]
    taken: list[tuple[int, int]] = []
    findings = []
    for kind, spans in rules:
        for start, end, note in spans:
            if any(start < e and s < end for s, e in taken):
                continue
            taken.append((start, end))
            findings.append(Finding(
                field, kind, text[start:end], start, end,
                text[max(0, start - CONTEXT):start], text[end:end + CONTEXT], note,
            ))
    return sorted(findings, key=lambda f: f.start)


def scan(fields: dict[str, str], terms: Iterable[str] = (), region: str = "US") -> list[Finding]:
    """Screen several named fields (title, summary, body, steps, transcript)."""
    terms = list(terms)
    return [f for name, text in fields.items() for f in scan_text(name, text or "", terms, region)]


def as_dicts(findings: list[Finding]) -> list[dict]:
    """Findings as plain dicts, for storing as JSON."""
    return [{**asdict(f), "label": f.label} for f in findings]


def highlight(finding: dict) -> Markup:
    """The finding in its context, the match wrapped in <mark>, everything else escaped."""
    before = ("…" if finding["start"] > CONTEXT else "") + finding["before"]
    return Markup("{}<mark>{}</mark>{}…").format(escape(before), escape(finding["match"]), escape(finding["after"]))
