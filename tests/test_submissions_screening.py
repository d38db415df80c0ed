"""Screening rules: what they must find, and look-alikes they must leave alone."""

from __future__ import annotations

import pytest

from marketplace.submissions.screening import as_dicts, highlight, scan, scan_text

TRUE_POSITIVES = [
    ("email", "Questions? Mail jane.doe@example.co.uk any time.", "jane.doe@example.co.uk"),
    ("phone", "Call the hotline on +44 20 7946 0958 if stuck.", "+44 20 7946 0958"),
    ("phone", "My desk is (415) 555-2671.", "(415) 555-2671"),
    ("card", "Test with card 4111 1111 1111 1111 please.", "4111 1111 1111 1111"),
    ("card", "Amex 3782-822463-10005 was declined.", "3782-822463-10005"),
    ("iban", "Pay into GB82 WEST 1234 5698 7654 32 today.", "GB82 WEST 1234 5698 7654 32"),
    ("iban", "IBAN DE89370400440532013000.", "DE89370400440532013000"),
    ("national_id", "SSN 536-90-4399 on the form.", "536-90-4399"),
    ("national_id", "HETU 131052-308T.", "131052-308T"),
    ("national_id", "Codice fiscale RSSMRA85T10A562S.", "RSSMRA85T10A562S"),
    ("national_id", "DNI 54362315K.", "54362315K"),
]

FALSE_POSITIVES = [
    "Order 12345678 shipped on 2024-01-15; see version 2.3.4.",
    "Card 4111 1111 1111 1112 fails the Luhn check.",
    "The IBAN GB00 WEST 1234 5698 7654 32 has a bad checksum.",
    "SSN-like 000-12-3456 is never issued.",
    "Write to support at our portal (no address here) or use name@localhost.",
    "Press 1 then 2 then 3; the room is 415.",
    "Serial 0000 0000 0000 0000 is a placeholder.",
    "Project Falconry is not Project Falcon's neighbour",
]


@pytest.mark.parametrize(("kind", "text", "match"), TRUE_POSITIVES, ids=[t[0] + "-" + t[2] for t in TRUE_POSITIVES])
def test_finds_personal_data(kind, text, match):
    findings = scan_text("body", text)
    assert [(f.kind, f.match) for f in findings] == [(kind, match)]
    assert text[findings[0].start:findings[0].end] == match


@pytest.mark.parametrize("text", FALSE_POSITIVES[:-1])
def test_leaves_look_alikes_alone(text):
    assert scan_text("body", text) == []


def test_confidential_terms_match_whole_words_case_insensitively():
    findings = scan_text("title", "Inside project FALCON: a tour. Also falconry.", terms=["Project Falcon"])
    assert [(f.kind, f.match) for f in findings] == [("confidential", "project FALCON")]
    assert scan_text("body", FALSE_POSITIVES[-1], terms=["Falcon"])[0].match == "Falcon"
    assert scan_text("body", "Falconry only", terms=["Falcon"]) == []


def test_scan_covers_every_field_and_reports_context():
    findings = scan({"title": "Hi", "summary": "mail a@b.example", "steps": "1. ring +1 415 555 2671"})
    assert {(f.field, f.kind) for f in findings} == {("summary", "email"), ("steps", "phone")}
    email = next(f for f in findings if f.kind == "email")
    assert email.before == "mail " and email.after == ""


def test_highlight_marks_the_match_and_escapes_the_rest():
    (finding,) = as_dicts(scan_text("body", "<b>x</b> write to evil@example.com <script>"))
    html = str(highlight(finding))
    assert "<mark>evil@example.com</mark>" in html
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert finding["label"] == "Email address"


def test_a_card_inside_an_iban_is_reported_once():
    findings = scan_text("body", "GB82WEST12345698765432")
    assert [f.kind for f in findings] == ["iban"]


# Mutations that once survived (issue 15, point 9) --------------------------------------


def _kinds(text: str, terms=()) -> list[tuple[str, str]]:
    return [(f.kind, f.match) for f in scan_text("body", text, terms)]


def test_overlapping_matches_keep_only_the_stronger_rule():
    # "falcon" is a confidential term and part of an e-mail address: one finding, the stronger one.
    assert _kinds("Write to falcon@corp.example today", ["Falcon"]) == [("confidential", "falcon")]


def test_adjacent_matches_are_both_kept():
    found = _kinds("Falcon bob@corp.example", ["Falcon"])
    assert found == [("confidential", "Falcon"), ("email", "bob@corp.example")]


@pytest.mark.parametrize(("number", "flagged"), [
    ("4111111111119", True),            # 13 digits, the shortest card
    ("4111111111111111110", True),      # 19 digits, the longest
    ("411111111117", False),            # 12 digits: too short to be a card
    ("41111111111111111115", False),    # 20 digits: too long
])
def test_card_length_bounds(number, flagged):
    from stdnum import luhn

    assert luhn.is_valid(number), "the test numbers pass Luhn, so only the length decides"
    assert (("card", number) in _kinds(f"Card {number} on file")) is flagged


def test_a_run_of_one_digit_is_not_a_card():
    from stdnum import luhn

    assert luhn.is_valid("6666666666666")  # Luhn alone would flag it
    assert not any(kind == "card" for kind, _ in _kinds("Order 6666666666666 shipped"))
