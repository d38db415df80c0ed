"""Photo sequence Quick Learns: several images in order, each cleaned, captioned, hidden like the rest."""

from __future__ import annotations

import io
import re

import pytest
from flask import current_app
from PIL import Image
from sqlalchemy import func, select, text

from marketplace import migrate, seed
from marketplace.extensions import db
from marketplace.media.services import path_for
from marketplace.models import Item, ItemImage, MediaFile
from marketplace.submissions import processing, review, services
from marketplace.submissions.models import Submission
from marketplace.submissions.pipeline import MediaRejected
from marketplace.submissions.uploads import incoming_dir
from tests import media_fixtures as fx
from tests import submission_helpers as h
from tests.conftest import clear_data
from tests.test_submissions_routes import people  # noqa: F401  (fixture: one signed-in client per role)

SIZES = [(64, 32), (80, 40), (96, 48)]  # stored upright (EXIF orientation 6), so as (32, 64), (40, 80), (48, 96)


def photos(tmp_path, names=("1-open.jpg", "2-pull.jpg", "3-close.jpg")) -> list[services.Upload]:
    """One JPEG with EXIF, GPS and a comment per name, each a different size so order shows."""
    return [h.upload(tmp_path, fx.jpeg_with_exif(*SIZES[i % 3]), name) for i, name in enumerate(names)]


def sequence(base, tmp_path, state: str = "pending", captions=("Open the lid.", "", "Close it."), **changes) -> Submission:
    """A photo sequence submission by the employee, driven into `state`."""
    submission = services.save(base.users["employee"], h.data(base, captions=list(captions), **changes),
                               photos(tmp_path), current_app.config, incoming_dir(), submit=state != "draft")
    if state in {"rejected", "changes_requested", "approved"}:
        review.claim(submission, base.users["champion"])
        decision = {"rejected": "reject", "changes_requested": "changes", "approved": "approve"}[state]
        review.decide(submission, base.users["champion"], decision, "Sharper photos, please.")
    return submission


def image_urls(item) -> list[str]:
    """Every file of every image: the picture and its thumbnail."""
    return [f"/media/{m}" for image in item.images for m in (image.media_id, image.thumbnail_id)]


# Services ------------------------------------------------------------------------------


def test_images_are_stored_in_order_with_captions_and_without_exif(base, tmp_path):
    item = sequence(base, tmp_path).item
    assert [i.position for i in item.images] == [0, 1, 2]
    assert [i.media.original_name for i in item.images] == ["1-open.jpg", "2-pull.jpg", "3-close.jpg"]
    assert [i.caption for i in item.images] == ["Open the lid.", "", "Close it."]
    assert item.media is None and item.poster is None
    for image, (width, height) in zip(item.images, SIZES, strict=True):
        stored = path_for(image.media).read_bytes()
        for secret in (b"Exif", fx.CAMERA.encode(), fx.SECRET.encode(), b"GPS"):
            assert secret not in stored
        with Image.open(io.BytesIO(stored)) as picture:
            assert picture.format == "JPEG" and not picture.getexif() and "comment" not in picture.info
            assert picture.size == (height, width) == (image.media.width, image.media.height)  # orientation applied
        assert image.thumbnail.kind == "thumbnail" and path_for(image.thumbnail).is_file()
        assert fx.CAMERA.encode() not in path_for(image.thumbnail).read_bytes()


def test_one_bad_file_refuses_the_whole_sequence_and_leaves_nothing(base, tmp_path):
    _, _, media_before = h.counts()
    files = h.files_on_disk()
    uploads = photos(tmp_path)
    uploads.insert(2, h.upload(tmp_path, fx.truncated_jpeg(), "broken.jpg"))
    submission = services.save(base.users["employee"], h.data(base), uploads, current_app.config, incoming_dir(),
                               submit=True)
    status = processing.status(submission.id)  # the media job found the damage and gave up at once
    assert status.failed and "File 3 of 4 (“broken.jpg”): This image is damaged" in status.message
    assert submission.state == "draft" and not submission.item.images
    assert h.counts()[2] == media_before and h.files_on_disk() == files


def test_the_configured_limit_is_enforced(base, tmp_path, monkeypatch):
    monkeypatch.setitem(current_app.config, "SUBMISSION_MAX_IMAGES", 2)
    before, files = h.counts(), h.files_on_disk()
    with pytest.raises(MediaRejected, match="You chose 3 files; a photo sequence holds at most 2 images."):
        services.save(base.users["employee"], h.data(base), photos(tmp_path), current_app.config, incoming_dir())
    assert h.counts() == before and h.files_on_disk() == files


def test_a_video_or_pdf_cannot_join_a_sequence(base, tmp_path):
    uploads = [*photos(tmp_path, ["a.jpg"]), h.upload(tmp_path, fx.pdf(), "b.pdf")]
    with pytest.raises(MediaRejected) as refused:
        services.save(base.users["employee"], h.data(base), uploads, current_app.config, incoming_dir())
    assert refused.value.status == 415 and "File 2 of 2 (“b.pdf”): This is a pdf" in refused.value.message


def test_resubmission_replaces_the_images_and_the_diff_says_so(base, tmp_path):
    submission = sequence(base, tmp_path, state="changes_requested")
    old_paths = [path_for(m) for m in services.stored_files(submission.item)]
    assert len(old_paths) == 6 and all(p.is_file() for p in old_paths)
    services.save(base.users["employee"], h.data(base, captions=["Now sharper."]), photos(tmp_path, ["sharp.jpg"]),
                  current_app.config, incoming_dir(), submission=submission, submit=True)
    assert submission.state == "pending" and [i.media.original_name for i in submission.item.images] == ["sharp.jpg"]
    assert not any(p.is_file() for p in old_paths)
    assert db.session.scalar(select(func.count()).select_from(MediaFile)) == 2 + 1  # new image, thumbnail, base item
    _, _, rows = review.latest_changes(submission)
    removed = [t for kind, t in rows if kind == "remove" and t.startswith("Image")]
    added = [t for kind, t in rows if kind == "add" and t.startswith("Image")]
    assert len(removed) == 3 and removed[0].startswith("Image 1 of 3: 1-open.jpg (") and removed[0].endswith("): Open the lid.")
    assert len(added) == 1 and added[0].startswith("Image 1 of 1: sharp.jpg (") and added[0].endswith("): Now sharper.")


def test_captions_change_without_uploading_again(base, tmp_path):
    submission = sequence(base, tmp_path, state="draft")
    kept = [i.media_id for i in submission.item.images]
    services.save(base.users["employee"], h.data(base, captions=["", "Pull firmly."]), [], current_app.config,
                  incoming_dir(), submission=submission)
    assert [i.media_id for i in submission.item.images] == kept
    assert [i.caption for i in submission.item.images] == ["", "Pull firmly.", ""]


def test_turning_a_sequence_into_a_job_aid_or_a_video_removes_the_images(base, tmp_path):
    submission = sequence(base, tmp_path, state="draft")
    paths = [path_for(m) for m in services.stored_files(submission.item)]
    video = fx.video(tmp_path / "clip.webm", seconds=1)
    services.save(base.users["employee"], h.data(base), [services.Upload(video, "clip.webm")], current_app.config,
                  incoming_dir(), submission=submission)
    assert submission.item.images == [] and submission.item.media.kind == "video"
    assert not any(p.is_file() for p in paths)
    assert db.session.scalar(select(func.count()).select_from(ItemImage)) == 1  # the base item's picture
    services.save(base.users["employee"], h.data(base, type="job_aid", body="## Do it"), [], current_app.config,
                  incoming_dir(), submission=submission)
    assert submission.item.media is None and submission.item.images == []


def test_captions_are_screened(base, tmp_path):
    submission = sequence(base, tmp_path, captions=["Ask erin@example.com for the key."])
    assert [(f["field"], f["kind"]) for f in submission.findings] == [("captions", "email")]


def test_the_migration_keeps_single_images_and_goes_down_and_up(app, base, tmp_path):
    item_id = sequence(base, tmp_path).item_id
    first, second = db.session.execute(
        select(ItemImage.media_id, ItemImage.thumbnail_id).where(ItemImage.item_id == item_id).order_by(ItemImage.position)
    ).all()[:2]
    db.session.commit()
    db.session.close()  # no open transaction may hold locks while the schema changes
    migrate.downgrade("0003_submissions")
    try:
        # The older schema shows one image per item: the first, on the item; the rest can no longer be served.
        row = db.session.execute(text("SELECT media_id, poster_id FROM items WHERE id = :id"), {"id": item_id}).one()
        assert tuple(row) == tuple(first)
        left = set(db.session.scalars(text("SELECT id FROM media_files")))
        assert set(first) <= left and not set(second) & left
        db.session.close()
    finally:
        migrate.upgrade()
    image = db.session.scalar(select(ItemImage).where(ItemImage.item_id == item_id))
    assert (image.position, image.media_id, image.thumbnail_id, image.caption) == (0, *first, "")
    assert db.session.execute(text("SELECT media_id FROM items WHERE id = :id"), {"id": item_id}).scalar() is None


# Routes --------------------------------------------------------------------------------


def post_sequence(client, base, files, htmx=False, path="/submit", **fields):
    data = h.form(base, **fields)
    data["file"] = [(io.BytesIO(content), name) for content, name in files]
    return client.send(path, data, htmx=htmx, content_type="multipart/form-data")


def three_photos() -> list[tuple[bytes, str]]:
    return [(fx.jpeg_with_exif(*SIZES[0]), "1-open.jpg"), (fx.png_with_text(), "2-pull.png"), (fx.webp_image(), "3-close.webp")]


def _sequence_html(page: str) -> str:
    return re.search(r'<section class="media photo-sequence".*?</section>', page, re.S).group(0)


def test_the_form_takes_several_files_and_states_the_limits(as_role):
    page = as_role("employee").get("/submit").get_data(as_text=True)
    assert re.search(r'<input[^>]*id="file"[^>]*multiple', page) and 'data-max-images="20"' in page
    assert "a photo sequence: 1 to 20 JPEG, PNG or WebP images" in page and "At most 250 MB in total" in page
    assert 'name="captions"' in page and "one line per image, in order" in page


@pytest.mark.parametrize("htmx", [False, True], ids=["form", "htmx"])
def test_a_sequence_submitted_through_the_form_shows_in_order_as_published(as_role, base, htmx):
    client = as_role("employee")
    response = post_sequence(client, base, three_photos(), htmx=htmx, captions="Open the lid.\n\nClose it.\n")
    assert response.status_code == (200 if htmx else 303)
    submission = db.session.scalar(select(Submission))
    item = submission.item
    assert [i.media.original_name for i in item.images] == ["1-open.jpg", "2-pull.png", "3-close.webp"]
    assert [i.media.content_type for i in item.images] == ["image/jpeg", "image/png", "image/webp"]
    page = as_role("champion").get(f"/items/{item.slug}").get_data(as_text=True)
    section = _sequence_html(page)
    assert 'aria-label="Photo sequence, 3 steps"' in section and '<ol class="sequence">' in section
    assert [int(n) for n in re.findall(r"Step (\d) of 3", section)] == [1, 2, 3]
    assert re.findall(r'alt="([^"]*)"', section) == ["Open the lid.", f"{item.title}, step 2 of 3", "Close it."]
    assert '<span class="caption">Open the lid.</span>' in section and 'href="#step-3"' in section
    for image in item.images:  # thumbnails shown, each linking to the full picture
        assert f'<a href="/media/{image.media_id}"><img src="/media/{image.thumbnail_id}"' in section
    preview = as_role("champion").get(f"/review/{submission.id}").get_data(as_text=True)
    assert _sequence_html(preview) == section  # the reviewer sees exactly what will be published
    assert "<script" not in section and "style=" not in section


@pytest.mark.parametrize("htmx", [False, True], ids=["form", "htmx"])
def test_one_bad_file_in_the_upload_gets_a_message_naming_it_and_leaves_nothing(as_role, base, htmx):
    client = as_role("employee")
    before, files = h.counts(), h.files_on_disk()
    upload = [*three_photos()[:2], (fx.polyglot_png(), "sneaky.png"), three_photos()[2]]
    response = post_sequence(client, base, upload, htmx=htmx)
    html = response.get_data(as_text=True)
    assert response.status_code == 415 and 'id="submission-form"' in html
    assert "File 3 of 4 (“sneaky.png”): This file contains embedded script" in html
    assert h.counts() == before and h.files_on_disk() == files


def test_too_many_images_or_captions_are_refused_on_the_form(as_role, base, app, monkeypatch):
    client = as_role("employee")
    before, files = h.counts(), h.files_on_disk()
    monkeypatch.setitem(app.config, "SUBMISSION_MAX_IMAGES", 2)
    response = post_sequence(client, base, three_photos())
    assert response.status_code == 422 and "a photo sequence holds at most 2 images" in response.get_data(as_text=True)
    monkeypatch.setitem(app.config, "SUBMISSION_MAX_IMAGES", 20)
    response = post_sequence(client, base, three_photos()[:1], captions="One\nTwo")
    assert response.status_code == 422 and "2 caption lines but 1 image:" in response.get_data(as_text=True)
    assert h.counts() == before and h.files_on_disk() == files


def test_edit_shows_the_images_keeps_them_and_resubmits_new_ones(as_role, base, tmp_path):
    submission = sequence(base, tmp_path, state="changes_requested")
    employee = as_role("employee")
    edit = f"/submissions/{submission.id}/edit"
    page = employee.get(edit).get_data(as_text=True)
    assert "Current images, in order" in page and "<li>1-open.jpg: Open the lid.</li>" in page
    assert "\nOpen the lid.\n\nClose it.</textarea>" in page  # captions prefilled, one line per image
    kept = post_sequence(employee, base, [], path=edit, captions="Open the lid.\n\nClose it.", submit_review=None,
                         save_draft="Save draft")
    assert kept.status_code == 303 and len(submission.item.images) == 3
    replaced = post_sequence(employee, base, three_photos()[1:], path=edit, captions="Pull.\nClose.")
    assert replaced.status_code == 303
    db.session.refresh(submission)
    assert submission.state == "pending" and [i.caption for i in submission.item.images] == ["Pull.", "Close."]
    review = as_role("champion").get(f"/review/{submission.id}").get_data(as_text=True)
    assert "What changed since version 1" in review and "Image 1 of 2: 2-pull.png" in review


ROLES = ["submitter", "other_employee", "champion", "other_champion", "curator", "admin", "leader"]
SEES_UNPUBLISHED = {"submitter", "champion", "curator", "admin"}


@pytest.mark.parametrize("state", ["draft", "pending", "rejected", "changes_requested", "approved"])
def test_every_image_of_a_sequence_is_hidden_from_outsiders_until_published(people, base, tmp_path, state):  # noqa: F811
    item = sequence(base, tmp_path, state=state).item
    urls = image_urls(item)
    assert len(urls) == 6
    for role in ROLES:
        expected = 200 if state == "approved" or role in SEES_UNPUBLISHED else 404
        assert [people[role].get(url).status_code for url in urls] == [expected] * 6, (state, role)
    assert [people["anonymous"].get(url).status_code for url in urls] == [302] * 6


def test_the_demo_seed_has_a_captioned_photo_sequence(app):
    with app.app_context():
        clear_data()
        seed.load_demo()
        item = db.session.scalar(select(Item).where(Item.slug == "stretch-wrapping-a-pallet"))
        assert item.status == "published" and item.media is None
        assert [i.media.original_name for i in item.images] == [f"stretch-wrapping-a-pallet-{n}.png" for n in range(1, 5)]
        assert all(i.caption and (i.media.width, i.media.height) == (640, 360) for i in item.images)
        assert all(path_for(i.media).is_file() for i in item.images)
        single = db.session.scalar(select(Item).where(Item.slug == "receipt-photo-that-passes"))
        assert len(single.images) == 1 and single.media is None
        clear_data()
