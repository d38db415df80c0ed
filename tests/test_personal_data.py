"""Personal data done properly: PDF text and transcripts screened, international formats found, removed
values redacted from every version, diff and notification, and PDFs with active content refused."""

from __future__ import annotations

import io
from pathlib import Path

import pikepdf
import pytest
from flask import current_app
from sqlalchemy import select

from marketplace.extensions import db
from marketplace.models import Notification
from marketplace.submissions import pipeline, review, screening
from marketplace.submissions import services as submissions
from marketplace.submissions.models import Submission, SubmissionEvent, SubmissionVersion
from marketplace.submissions.redaction import REDACTED
from marketplace.submissions.uploads import incoming_dir
from tests import submission_helpers as h

EMAIL, PHONE = "erin.private@example.com", "+44 20 7946 0958"
LIMITS = pipeline.Limits(max_bytes=50 * 2**20, max_video_seconds=60, max_image_pixels=40_000_000)


# Formats ------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["+44 20 7946 0958", "0044 20 7946 0958", "+33 1 42 68 53 00", "0033 1 42 68 53 00"])
def test_international_phone_formats_are_found(text):
    found = screening.scan_text("body", f"Call me on {text} after five.")
    assert [(f.kind, f.match) for f in found] == [("phone", text)]


@pytest.mark.parametrize("text", ["4111 1111 1111 1111", "4111-1111-1111-1111", "4111.1111.1111.1111",
                                  "4111/1111/1111/1111", "4111 - 1111 - 1111 - 1111"])
def test_card_numbers_with_separators_are_found(text):
    assert [(f.kind, f.match) for f in screening.scan_text("body", f"Card {text} expires soon")] == [("card", text)]


def test_order_numbers_and_dates_are_not_cards_or_phones():
    assert screening.scan_text("body", "Order 2024-0001-0002-0003 shipped on 2026-12-02; ref 0012.") == []


# Transcripts and PDF text ---------------------------------------------------------------------------


def _text_pdf(path: Path, line: str) -> Path:
    pdf = pikepdf.new()
    font = pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1, BaseFont=pikepdf.Name.Helvetica))
    page = pdf.add_blank_page(page_size=(400, 200))
    page.obj.Resources = pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font))
    page.obj.Contents = pdf.make_stream(f"BT /F1 12 Tf 20 100 Td ({line}) Tj ET".encode())
    pdf.save(path, compress_streams=True)  # the text sits in a compressed stream: only a PDF reader finds it
    return path


def test_video_transcripts_are_screened(base, tmp_path):
    submission = h.make(base, tmp_path, transcript=f"Any questions? Mail {EMAIL}.")
    assert [(f["field"], f["kind"]) for f in submission.findings] == [("transcript", "email")]


def test_the_text_inside_a_pdf_is_screened_with_pdftotext(base, tmp_path):
    pdf = _text_pdf(tmp_path / "guide.pdf", f"Questions: call {PHONE}")
    assert PHONE.encode() not in pdf.read_bytes()
    submission = submissions.save(base.users["employee"], h.data(base, transcript=""), [submissions.Upload(pdf, "guide.pdf")],
                                  current_app.config, incoming_dir(), submit=True)
    assert [(f["field"], f["kind"], f["match"]) for f in submission.findings] == [("PDF text", "phone", PHONE)]


# Active content in PDFs -------------------------------------------------------------------------------


def _active_pdfs(folder: Path) -> dict[str, Path]:
    made = {}

    def save(name: str, build, **options) -> None:
        pdf = pikepdf.new()
        pdf.add_blank_page()
        build(pdf)
        pdf.save(folder / name, **options)
        made[name] = folder / name

    def script(pdf):
        pdf.Root.OpenAction = pdf.make_indirect(pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=pikepdf.String("app.alert(1)")))

    save("objstm.pdf", script, object_stream_mode=pikepdf.ObjectStreamMode.generate, compress_streams=True)
    save("uri.pdf", lambda pdf: setattr(pdf.Root, "OpenAction", pikepdf.Dictionary(S=pikepdf.Name.URI, URI=pikepdf.String("https://evil.example"))))
    save("submit.pdf", lambda pdf: setattr(pdf.Root, "OpenAction", pikepdf.Dictionary(S=pikepdf.Name.SubmitForm, F=pikepdf.String("https://evil.example"))))

    def attachment(pdf):  # a file specification with /EF but no /Type /EmbeddedFile anywhere
        spec = pikepdf.Dictionary(F=pikepdf.String("invoice.exe"), EF=pikepdf.Dictionary(F=pdf.make_stream(b"MZ")))
        pdf.Root.Names = pikepdf.Dictionary(EmbeddedFiles=pikepdf.Dictionary(Names=pikepdf.Array([pikepdf.String("a"), spec])))

    save("attachment.pdf", attachment)
    escaped = (folder / "escaped.pdf")
    blank = pikepdf.new()
    blank.add_blank_page()
    blank.save(folder / "blank.pdf")
    escaped.write_bytes((folder / "blank.pdf").read_bytes().replace(
        b"/Type /Catalog", b"/Type /Catalog /OpenAction << /S /J#61vaScript /J#53 (app.alert(1)) >>"))
    made["escaped.pdf"] = escaped
    return made


@pytest.mark.parametrize("name", ["objstm.pdf", "uri.pdf", "submit.pdf", "attachment.pdf", "escaped.pdf"])
def test_pdfs_with_active_content_are_refused_with_a_reason(tmp_path, name):
    source = _active_pdfs(tmp_path)[name]
    with pytest.raises(pipeline.MediaRejected) as refused:
        pipeline.process(source, name, tmp_path / "work", LIMITS)
    assert refused.value.status == 415 and "This PDF was refused because it contains" in refused.value.message


def test_a_plain_pdf_with_a_link_is_accepted(tmp_path):
    pdf = pikepdf.new()
    page = pdf.add_blank_page()
    page.obj.Annots = pdf.make_indirect(pikepdf.Array([pikepdf.Dictionary(
        Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Link, Rect=[0, 0, 10, 10],
        A=pikepdf.Dictionary(S=pikepdf.Name.URI, URI=pikepdf.String("https://intranet.example/policy")))]))
    pdf.save(tmp_path / "linked.pdf")
    assert pipeline.process(tmp_path / "linked.pdf", "linked.pdf", tmp_path / "work", LIMITS).main.kind == "pdf"


def test_the_upload_form_says_why_an_active_pdf_was_refused(as_role, base, tmp_path):
    source = _active_pdfs(tmp_path)["objstm.pdf"]
    data = h.form(base) | {"file": (io.BytesIO(source.read_bytes()), "guide.pdf")}
    response = as_role("employee").send("/submit", data, content_type="multipart/form-data")
    assert response.status_code == 415 and "JavaScript" in response.get_data(as_text=True)


# Redaction -----------------------------------------------------------------------------------------


def _everything_a_user_can_load(as_role, submission) -> str:
    pages = [as_role("employee").get(f"/submissions/{submission.id}"), as_role("employee").get("/notifications"),
             as_role("champion").get(f"/review/{submission.id}"), as_role("champion").get("/notifications"),
             as_role("employee").get(f"/items/{submission.item.slug}"), as_role("curator").get(f"/review/{submission.id}")]
    assert all(p.status_code == 200 for p in pages)
    return "\n".join(p.get_data(as_text=True) for p in pages)


def _stored_anywhere(value: str) -> bool:
    texts = list(db.session.scalars(select(SubmissionVersion.snapshot))) + list(db.session.scalars(select(SubmissionEvent.text)))
    texts += list(db.session.scalars(select(Notification.text))) + list(db.session.scalars(select(Submission.findings_json)))
    texts += list(db.session.scalars(select(Submission.decision_note)))
    return any(value in text for text in texts)


def test_personal_data_removed_in_a_later_version_is_redacted_from_every_version_diff_and_notification(as_role, base, tmp_path):
    employee, champion = base.users["employee"], base.users["champion"]
    title = f"Expenses: ask {EMAIL}"
    submission = submissions.save(employee, h.data(base, type="job_aid", title=title, body=f"Call {PHONE} if stuck."), [],
                                  current_app.config, incoming_dir(), submit=True)
    assert {f["kind"] for f in submission.findings} == {"email", "phone"}
    review.claim(submission, champion)
    review.decide(submission, champion, "changes", f"Please take out {EMAIL}.")
    review.comment(submission, champion, f"For example {PHONE} should go.")
    assert _stored_anywhere(EMAIL) and _stored_anywhere(PHONE)
    submissions.save(employee, h.data(base, type="job_aid", title="Expenses: ask the finance desk", body="Ask the finance desk."),
                     [], current_app.config, incoming_dir(), submission=submission, submit=True)
    everything = _everything_a_user_can_load(as_role, submission)
    assert EMAIL not in everything and PHONE not in everything
    assert REDACTED in everything  # the diff and the timeline show where something was removed
    assert not _stored_anywhere(EMAIL) and not _stored_anywhere(PHONE)


def test_removing_data_in_an_edit_of_a_published_item_redacts_the_live_page_too(as_role, base, tmp_path):
    live = h.make(base, tmp_path, state="approved", type="job_aid", body=f"Questions? {EMAIL}").item
    edit = submissions.start_edit(live, base.users["champion"], current_app.config)
    submissions.save(base.users["champion"], h.data(base, type="job_aid", body="Questions? Ask the finance desk."), [],
                     current_app.config, incoming_dir(), submission=edit, submit=True)
    assert EMAIL not in as_role("employee").get(f"/items/{live.slug}").get_data(as_text=True)
    assert not _stored_anywhere(EMAIL)


def test_a_champion_redacts_on_request_and_nothing_brings_it_back(as_role, base, tmp_path):
    submission = h.make(base, tmp_path, type="job_aid", body="Ask Erin Smith in room 4.12.")
    champion = as_role("champion")
    response = champion.send(f"/review/{submission.id}/redact", {"text": "Erin Smith"})
    assert response.status_code == 303
    assert "Erin Smith" not in _everything_a_user_can_load(as_role, submission)
    assert as_role("employee").send(f"/review/{submission.id}/redact", {"text": "room"}).status_code == 404
    assert champion.send(f"/review/{submission.id}/redact", {"text": "x"}).status_code == 422
