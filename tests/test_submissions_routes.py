"""Routes: submitting through the form, hostile files, the review flow, and who sees what."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import func, select

from marketplace.extensions import db
from marketplace.media.services import path_for
from marketplace.models import Item, MediaFile
from marketplace.notifications.models import Notification
from marketplace.submissions import curator_lists
from marketplace.submissions.models import Submission
from tests import media_fixtures as fx
from tests import submission_helpers as h


def post_form(client, base, file: tuple[bytes, str] | None = None, htmx: bool = False, path: str = "/submit", **fields):
    data = h.form(base, **fields)
    if file is not None:
        data["file"] = (io.BytesIO(file[0]), file[1])
    return client.send(path, data, htmx=htmx, content_type="multipart/form-data")


def test_submit_page_states_the_limits(as_role):
    page = as_role("employee").get("/submit").get_data(as_text=True)
    assert "at most 20 minutes" in page and "At most 250 MB" in page and "40 megapixels" in page
    assert 'enctype="multipart/form-data"' in page and "<progress" in page and "submit.js" in page
    assert 'style="' not in page and "<script>" not in page


def test_employee_submits_an_image_quick_learn(as_role, base, app):
    client = as_role("employee")
    response = post_form(client, base, (fx.jpeg_with_exif(), "printer.jpg"))
    assert response.status_code == 303
    submission = db.session.scalar(select(Submission))
    assert response.headers["Location"].endswith(f"/submissions/{submission.id}")
    [image] = submission.item.images
    assert submission.state == "pending" and image.media.kind == "image" and submission.item.media is None
    assert image.thumbnail.kind == "thumbnail"
    stored = path_for(image.media)
    assert stored.parent == path_for(image.thumbnail).parent
    assert "static" not in str(stored) and fx.CAMERA.encode() not in stored.read_bytes()
    assert not any(name.startswith("incoming/") and name.endswith(".part") for name in h.files_on_disk())
    page = client.get(f"/submissions/{submission.id}").get_data(as_text=True)
    assert "Waiting for review" in page and "Submitted" in page and "Screened" in page


def test_htmx_submit_answers_with_hx_location(as_role, base):
    response = post_form(as_role("employee"), base, (fx.webp_image(), "shelf.webp"), htmx=True)
    assert response.status_code == 200 and response.headers["HX-Redirect"].startswith("/submissions/")


def test_draft_without_everything_then_finish(as_role, base):
    client = as_role("employee")
    response = post_form(client, base, None, summary="", kpi_ids=None, submit_review=None, save_draft="Save draft")
    assert response.status_code == 303
    submission = db.session.scalar(select(Submission))
    assert submission.state == "draft"
    edit = f"/submissions/{submission.id}/edit"
    assert client.get(edit).status_code == 200
    incomplete = post_form(client, base, None, path=edit, summary="")
    assert incomplete.status_code == 422 and "Write a one-line summary." in incomplete.get_data(as_text=True)
    assert "Choose the video, image or PDF" in incomplete.get_data(as_text=True)
    done = post_form(client, base, (fx.pdf(), "steps.pdf"), path=edit)
    assert done.status_code == 303
    db.session.refresh(submission)
    assert submission.state == "pending" and submission.item.media.kind == "pdf"


def test_pdf_quick_learn_shows_page_one_to_those_who_may_see_it(as_role, base):
    client = as_role("employee")
    assert post_form(client, base, (fx.pillow_pdf(), "steps.pdf")).status_code == 303
    item = db.session.scalar(select(Submission)).item
    assert item.media.kind == "pdf" and item.poster.kind == "thumbnail"
    page = client.get(f"/items/{item.slug}").get_data(as_text=True)
    assert f'src="/media/{item.poster_id}"' in page and 'alt="Page 1 of the PDF"' in page
    thumb = client.get(f"/media/{item.poster_id}")
    assert thumb.status_code == 200 and thumb.mimetype == "image/webp"
    assert as_role("leader").get(f"/media/{item.poster_id}").status_code == 404  # pending: outsiders see nothing


def test_a_pdf_that_cannot_be_parsed_is_refused_with_a_reason(as_role, base):
    client = as_role("employee")
    response = post_form(client, base, (fx.broken_pdf(), "scan.pdf"))
    assert response.status_code == 415
    assert "damaged and could not be read" in response.get_data(as_text=True)
    assert db.session.scalar(select(Submission)) is None


def test_job_aid_and_checklist(as_role, base):
    client = as_role("employee")
    assert post_form(client, base, None, type="job_aid", title="Aid", body="## Steps\n\n1. Do it").status_code == 303
    assert post_form(client, base, None, type="checklist", title="List", steps="Check oil\n\nCheck tyres\n").status_code == 303
    items = {i.title: i for i in db.session.scalars(select(Item).where(Item.title.in_(["Aid", "List"])))}
    assert items["Aid"].body.startswith("## Steps") and items["Aid"].media is None
    assert [s.text for s in items["List"].steps] == ["Check oil", "Check tyres"]
    missing = post_form(client, base, None, type="checklist", title="Empty list", steps="  \n")
    assert missing.status_code == 422 and "Add at least one step." in missing.get_data(as_text=True)


def test_live_preview_is_sanitized_like_published_pages(as_role):
    client = as_role("employee")
    body = "## Hi\n\n<script>alert(1)</script><img src=x onerror=alert(1)> [x](javascript:alert(1)) mail a@b.example"
    response = client.send("/submit/preview", {"body": body}, htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    rendered, findings = html.split('<section class="findings"')
    assert "<h2>Hi</h2>" in rendered and "hx-disable" in rendered
    assert "<script" not in rendered and "onerror" not in rendered and "javascript:" not in rendered
    assert "<script" not in findings and "onerror=" not in findings and "&gt;" in findings  # escaped context
    assert "<mark>a@b.example</mark>" in html


def test_findings_are_shown_to_the_submitter_before_submitting(as_role, base):
    client = as_role("employee")
    response = post_form(client, base, None, type="job_aid", body="Ring +44 20 7946 0958", submit_review=None, save_draft="Save")
    submission = db.session.scalar(select(Submission))
    page = client.get(f"/submissions/{submission.id}/edit").get_data(as_text=True)
    assert response.status_code == 303 and "<mark>+44 20 7946 0958</mark>" in page


HOSTILE = [
    ("html renamed .png", fx.html_page, "cute.png", 415),
    ("polyglot", fx.polyglot_png, "poly.png", 415),
    ("bomb", fx.png_bomb, "bomb.png", 422),
    ("zero bytes", lambda: b"", "empty.jpg", 422),
    ("traversal", fx.jpeg_with_exif, "../../etc/passwd", 422),
    ("double extension", fx.jpeg_with_exif, "a.jpg.php", 415),
    ("NUL", fx.jpeg_with_exif, "a\x00b.jpg", 422),
    ("300 characters", fx.jpeg_with_exif, "y" * 296 + ".jpg", 422),
]


@pytest.mark.parametrize(("label", "make", "name", "status"), HOSTILE, ids=[x[0] for x in HOSTILE])
@pytest.mark.parametrize("htmx", [False, True], ids=["form", "htmx"])
def test_hostile_files_get_a_message_on_the_form_and_leave_nothing(as_role, base, label, make, name, status, htmx):
    client = as_role("employee")
    before, files = h.counts(), h.files_on_disk()
    response = post_form(client, base, (make(), name), htmx=htmx)
    assert response.status_code == status
    html = response.get_data(as_text=True)
    assert 'id="submission-form"' in html and 'class="error"' in html
    assert h.counts() == before and h.files_on_disk() == files


def _media_rows() -> int:
    return db.session.scalar(select(func.count()).select_from(MediaFile))


@pytest.mark.parametrize("htmx", [False, True], ids=["form", "htmx"])
def test_a_damaged_file_fails_in_the_media_job_with_a_message_and_leaves_nothing(as_role, base, htmx):
    # The header looks fine, so the upload is stored; decoding (in the job) finds the damage.
    client = as_role("employee")
    media_before, files = _media_rows(), h.files_on_disk()
    response = post_form(client, base, (fx.truncated_jpeg(), "half.jpg"), htmx=htmx)
    assert response.status_code in (200, 303)
    submission = db.session.scalar(select(Submission))
    assert submission.state == "draft"  # nothing was submitted for review
    page = client.get(f"/submissions/{submission.id}").get_data(as_text=True)
    assert "could not be used" in page and "“half.jpg”: This image is damaged or incomplete" in page
    assert _media_rows() == media_before and h.files_on_disk() == files
    [note] = [n for n in db.session.scalars(select(Notification)) if "half.jpg" in n.text]
    assert note.user_id == base.users["employee"].id


def _raw_multipart(client, base, filename_header: str):
    boundary = "XyZzY"
    fields = h.form(base)
    parts = []
    for key, value in fields.items():
        for v in value if isinstance(value, list) else [value]:
            parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{v}\r\n')
    body = "".join(parts).encode() + (
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; {filename_header}\r\n"
        "Content-Type: image/jpeg\r\n\r\n"
    ).encode() + fx.jpeg_with_exif() + f"\r\n--{boundary}--\r\n".encode()
    return client.post("/submit", data=body, content_type=f"multipart/form-data; boundary={boundary}",
                       headers={"X-CSRFToken": client.csrf_token()})


@pytest.mark.parametrize("header", [
    "filename*=UTF-8''a%0D%0Ab.jpg", "filename*=UTF-8''a%00b.jpg", 'filename="a\r\nb.jpg"',
], ids=["encoded CRLF", "encoded NUL", "raw CRLF"])
def test_control_characters_in_names(as_role, base, header):
    client = as_role("employee")
    before, files = h.counts(), h.files_on_disk()
    response = _raw_multipart(client, base, header)
    assert 400 <= response.status_code < 500
    assert 'class="error"' in response.get_data(as_text=True)
    assert h.counts() == before and h.files_on_disk() == files


def test_over_the_configured_size(as_role, base, app, monkeypatch):
    client = as_role("employee")
    before, files = h.counts(), h.files_on_disk()
    monkeypatch.setitem(app.config, "SUBMISSION_MAX_UPLOAD_MB", 1)
    big = fx.pdf(b"/Padding (" + b"a" * (2 * 2**20) + b") ")
    response = post_form(client, base, (big, "big.pdf"))
    assert response.status_code == 413 and "the limit is 1 MB" in response.get_data(as_text=True)
    # Past MAX_CONTENT_LENGTH the body is not even read; the form still explains.
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 100_000)
    response = post_form(client, base, (big, "big.pdf"))
    assert response.status_code == 413 and "larger than the 1 MB limit" in response.get_data(as_text=True)
    assert 'id="submission-form"' in response.get_data(as_text=True)
    assert h.counts() == before and h.files_on_disk() == files


def test_video_over_twenty_minutes_via_the_form(as_role, base, tmp_path):
    # Probing runs in the media job: the draft is kept and says why the video was not used.
    client = as_role("employee")
    media_before, files = _media_rows(), h.files_on_disk()
    video = fx.long_video(tmp_path / "long.webm").read_bytes()
    response = post_form(client, base, (video, "long.webm"))
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "the limit is 20 minutes" in page and "Waiting for review" not in page
    assert _media_rows() == media_before and h.files_on_disk() == files


def test_review_flow_through_the_routes(as_role, base, tmp_path):
    submission = h.make(base, tmp_path)
    champion, curator = as_role("champion"), as_role("curator")
    page = champion.get(f"/review/{submission.id}").get_data(as_text=True)
    assert "Claim for review" in page and "Unjamming the label printer" in page
    assert champion.send(f"/review/{submission.id}/claim").status_code == 303
    taken = curator.send(f"/review/{submission.id}/claim")
    assert taken.status_code == 409 and "Chris Champion is already reviewing" in taken.get_data(as_text=True)
    assert curator.send(f"/review/{submission.id}/decide", {"decision": "approve"}).status_code == 403
    no_reason = champion.send(f"/review/{submission.id}/decide", {"decision": "reject", "note": ""}, htmx=True)
    assert no_reason.status_code == 422 and "Give a reason." in no_reason.get_data(as_text=True)
    assert champion.send(f"/review/{submission.id}/decide", {"decision": "approve"}).status_code == 303
    db.session.refresh(submission)
    assert submission.state == "approved" and submission.item.status == "published"
    employee = as_role("employee")
    assert employee.get(f"/items/{submission.item.slug}").status_code == 200
    assert "is published" in employee.get("/notifications").get_data(as_text=True)
    assert employee.get(f"/media/{submission.item.images[0].media_id}").status_code == 200


def test_submitter_cannot_review_own_work(app, base, tmp_path):
    submission = h.make(base, tmp_path, submitter=base.users["champion"])
    client = app.test_client()
    client.login(base.users["champion"].email)
    client.send(f"/review/{submission.id}/claim")
    db.session.refresh(submission)
    assert submission.claimed_by_id is None


def test_comments_and_resubmission_through_the_routes(as_role, base, tmp_path):
    submission = h.make(base, tmp_path, state="changes_requested")
    employee = as_role("employee")
    assert employee.send(f"/submissions/{submission.id}/comment", {"text": "Done, see v2"}).status_code == 303
    edit = post_form(employee, base, None, path=f"/submissions/{submission.id}/edit", summary="Now with a diagram.")
    assert edit.status_code == 303
    review = as_role("champion").get(f"/review/{submission.id}").get_data(as_text=True)
    assert "What changed since version 1" in review and "Now with a diagram." in review
    assert "Commented" in review and "Changes requested" in review


def test_nav_shows_pending_count_and_polls(as_role, base, tmp_path):
    h.make(base, tmp_path)
    champion = as_role("champion")
    home = champion.get("/").get_data(as_text=True)
    assert 'hx-get="/review/count"' in home and 'hx-trigger="every 30s"' in home
    badge = champion.get("/review/count", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert re.search(r'badge-count">1<', badge)
    assert 'href="/review"' not in as_role("employee").get("/").get_data(as_text=True)


def test_queue_page_filters_and_escalations(as_role, base, tmp_path):
    overdue = h.make(base, tmp_path, title="Old one")
    overdue.submitted_at = overdue.submitted_at.replace(year=2020)
    h.make(base, tmp_path, title="Flag me", summary="mail erin@example.com")
    db.session.commit()
    champion = as_role("champion")
    page = champion.get("/review").get_data(as_text=True)
    assert "Old one" in page and "Flag me" in page and "Overdue" in page and "1 flag" in page and "Erin Employee" in page
    flagged = champion.get("/review?flagged=yes", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "Flag me" in flagged and "Old one" not in flagged and "<html" not in flagged
    assert champion.get("/review/escalations").status_code == 403
    escalations = as_role("curator").get("/review/escalations").get_data(as_text=True)
    assert "Old one" in escalations and "Flag me" not in escalations


def test_curators_manage_trusted_people_and_terms(as_role, base):
    curator = as_role("curator")
    assert curator.send("/review/terms", {"term": "Project Falcon"}).status_code == 303
    assert "Project Falcon" in curator.get("/review/terms").get_data(as_text=True)
    form = {"user_id": base.users["employee"].id, "department_id": base.sales.id}
    assert curator.send("/review/trusted", form).status_code == 303
    assert curator_lists.is_trusted(base.users["employee"], base.sales.id)
    for role in ("employee", "champion", "leader"):
        assert as_role(role).get("/review/trusted").status_code == 403
        assert as_role(role).send("/review/terms", {"term": "x"}).status_code == 403


# Who sees what: route x role, for every unpublished state ------------------------------------

ROLES = ["anonymous", "submitter", "other_employee", "champion", "other_champion", "curator", "admin", "leader"]
SEES_UNPUBLISHED = {"submitter", "champion", "curator", "admin"}
REVIEWERS = {"champion", "curator", "admin"}


@pytest.fixture()
def people(app, base):
    h.extra_user("olga@test.example", "Olga Other", base.sales)
    h.extra_user("sam@test.example", "Sam Support", base.support, champion_of=[base.support])
    emails = {"submitter": base.users["employee"].email, "other_employee": "olga@test.example",
              "champion": base.users["champion"].email, "other_champion": "sam@test.example",
              "curator": base.users["curator"].email, "admin": base.users["admin"].email,
              "leader": base.users["leader"].email}
    clients = {"anonymous": app.test_client()}
    for role, email in emails.items():
        clients[role] = app.test_client()
        clients[role].login(email)
    return clients


@pytest.mark.parametrize("state", ["draft", "pending", "rejected", "changes_requested", "approved"])
def test_visibility_matrix(people, base, tmp_path, state):
    submission = h.make(base, tmp_path, state=state)
    item = submission.item
    routes = {
        "page": f"/items/{item.slug}", "file": f"/media/{item.images[0].media_id}",
        "thumbnail": f"/media/{item.images[0].thumbnail_id}",
        "submission": f"/submissions/{submission.id}", "review": f"/review/{submission.id}",
        "catalog": f"/catalog?q={item.title.split()[0]}",
    }
    for role in ROLES:
        client = people[role]
        for route, path in routes.items():
            status = client.get(path).status_code
            if role == "anonymous":
                expected = 302
            elif route == "catalog":
                expected = 200
            elif route in {"page", "file", "thumbnail"}:
                expected = 200 if state == "approved" or role in SEES_UNPUBLISHED else 404
            elif route == "submission":
                expected = 200 if role in SEES_UNPUBLISHED else 404
            else:
                expected = 200 if role in REVIEWERS else 404
            assert status == expected, (state, role, route, status)
        if role != "anonymous":
            listed = item.title in client.get(routes["catalog"]).get_data(as_text=True)
            assert listed == (state == "approved"), (state, role)


@pytest.mark.parametrize("role", ROLES)
def test_queue_route_scoping(people, base, tmp_path, role):
    sales = h.make(base, tmp_path, title="Sales thing")
    h.make(base, tmp_path, title="Support thing", department_id=base.support.id)
    response = people[role].get("/review")
    if role == "anonymous":
        assert response.status_code == 302
        return
    if role not in {"champion", "other_champion", "curator", "admin"}:
        assert response.status_code == 403
        return
    html = response.get_data(as_text=True)
    assert ("Sales thing" in html) == (role in {"champion", "curator", "admin"})
    assert ("Support thing" in html) == (role in {"other_champion", "curator", "admin"})
    assert people[role].get(f"/review/{sales.id}").status_code == (404 if role == "other_champion" else 200)


def test_every_problem_is_reported_in_one_round(as_role, base):
    response = post_form(as_role("employee"), base, None, title="", summary="", kpi_ids=[])
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    for problem in ("This field is required.", "Write a one-line summary.", "Choose at least one KPI this serves.",
                    "Choose the video, image or PDF to share."):
        assert problem in page, f"missing on the first try: {problem}"
