"""The media pipeline on generated files: cleaning, measuring, and refusing hostile input."""

from __future__ import annotations

import io
import subprocess
import time

import pytest
from PIL import Image

from marketplace.submissions import pipeline, video_pdf
from tests import media_fixtures as fx

LIMITS = pipeline.Limits(max_bytes=5 * 2**20, max_video_seconds=20 * 60, max_image_pixels=40_000_000)


def run(tmp_path, content: bytes, name: str, limits: pipeline.Limits = LIMITS) -> pipeline.Result:
    source = tmp_path / "upload.part"
    source.write_bytes(content)
    return pipeline.process(source, name, tmp_path / "work", limits)


def test_jpeg_exif_gps_and_comment_are_gone_from_the_stored_bytes(tmp_path):
    original = fx.jpeg_with_exif()
    assert b"Exif" in original and fx.CAMERA.encode() in original and fx.SECRET.encode() in original
    result = run(tmp_path, original, "holiday.JPG")
    stored = result.main.path.read_bytes()
    for secret in (b"Exif", fx.CAMERA.encode(), fx.SECRET.encode(), b"GPS"):
        assert secret not in stored
    with Image.open(io.BytesIO(stored)) as image:
        assert image.format == "JPEG"
        assert not image.getexif()
        assert "comment" not in image.info
        assert image.size == (32, 64)  # orientation 6 applied: the 64 × 32 photo is now upright
    assert result.main.content_type == "image/jpeg" and result.main.extension == "jpg"


def test_png_text_and_exif_chunks_are_gone(tmp_path):
    original = fx.png_with_text()
    assert fx.SECRET.encode() in original and b"eXIf" in original
    stored = run(tmp_path, original, "diagram.png").main.path.read_bytes()
    assert fx.SECRET.encode() not in stored and b"eXIf" not in stored and b"tEXt" not in stored


def test_images_get_a_small_webp_thumbnail(tmp_path):
    result = run(tmp_path, fx.webp_image(), "shelf.webp")
    assert result.main.content_type == "image/webp"
    assert result.preview.kind == "thumbnail" and result.preview.content_type == "image/webp"
    with Image.open(result.preview.path) as thumb:
        assert thumb.format == "WEBP" and max(thumb.size) <= 640


def test_video_duration_poster_and_metadata_stripped(tmp_path):
    source = fx.video(tmp_path / "clip.webm", seconds=3)
    assert fx.SECRET.encode() in source.read_bytes()
    result = pipeline.process(source, "clip.webm", tmp_path / "work", LIMITS)
    assert result.main.kind == "video" and result.main.content_type == "video/webm"
    assert result.main.duration_seconds == pytest.approx(3, abs=0.2)
    assert (result.main.width, result.main.height) == (64, 48)
    assert fx.SECRET.encode() not in result.main.path.read_bytes()
    assert b"51.5074" not in result.main.path.read_bytes()
    assert result.preview.kind == "poster" and result.preview.path.read_bytes()[:2] == b"\xff\xd8"


def test_mp4_is_accepted_and_remuxed_for_streaming(tmp_path):
    source = fx.video(tmp_path / "clip.mp4", seconds=2, fmt="mp4")
    result = pipeline.process(source, "clip.mp4", tmp_path / "work", LIMITS)
    assert result.main.content_type == "video/mp4"
    data = result.main.path.read_bytes()
    assert data.find(b"moov") < data.find(b"mdat")  # faststart: the index comes first


def test_pdf_is_accepted_with_a_thumbnail_of_page_one(tmp_path):
    result = run(tmp_path, fx.pillow_pdf(("red", "blue")), "checklist.pdf")
    assert result.main.kind == "pdf" and result.main.content_type == "application/pdf"
    thumb = result.preview
    assert thumb.kind == "thumbnail" and thumb.content_type == "image/webp" and thumb in result.outputs
    with Image.open(thumb.path) as image:
        assert image.format == "WEBP" and max(image.size) <= 640 and image.size == (thumb.width, thumb.height)
        assert image.size[0] < image.size[1]  # the portrait page, scaled
        red, green, blue = image.convert("RGB").getpixel((image.width // 2, image.height // 2))
        assert red > 200 and green < 60 and blue < 60  # page 1 (red), not page 2 (blue)
    # pdftoppm's scratch directory is gone: only the PDF and its thumbnail remain.
    assert sorted(p.name for p in (tmp_path / "work").iterdir()) == sorted([result.main.path.name, thumb.path.name])


def test_a_huge_pdf_page_still_gives_a_small_thumbnail(tmp_path):
    result = run(tmp_path, fx.pdf().replace(b"[0 0 200 200]", b"[0 0 14400 14400]"), "poster.pdf")
    with Image.open(result.preview.path) as image:
        assert max(image.size) <= 640


def test_a_pdf_no_parser_can_read_is_refused_because_it_cannot_be_checked(tmp_path):
    # Issue 10: active content is looked for by a real parser; what it cannot read cannot be vouched for.
    with pytest.raises(pipeline.MediaRejected, match="damaged") as refused:
        run(tmp_path, fx.broken_pdf(), "scan.pdf")
    assert refused.value.status == 415
    assert not (tmp_path / "work").exists() or not list((tmp_path / "work").iterdir())


def test_a_missing_or_slow_renderer_is_tolerated(tmp_path, monkeypatch):
    monkeypatch.setattr(video_pdf, "PDFTOPPM", str(tmp_path / "no-such-pdftoppm"))
    assert run(tmp_path, fx.pdf(), "a.pdf").preview is None
    stuck = tmp_path / "stuck-renderer"  # stands in for pdftoppm looping on a hostile file
    stuck.write_text("#!/bin/sh\nexec sleep 30\n")
    stuck.chmod(0o755)
    monkeypatch.setattr(video_pdf, "PDFTOPPM", str(stuck))
    monkeypatch.setattr(video_pdf, "PDF_RENDER_SECONDS", 0.5)
    started = time.monotonic()
    assert run(tmp_path, fx.pdf(), "b.pdf").preview is None
    assert time.monotonic() - started < 10  # killed at the timeout, not waited for


def test_pdftoppm_is_debians():
    assert subprocess.run([video_pdf.PDFTOPPM, "-v"], capture_output=True).returncode == 0


HOSTILE = [
    ("html renamed .png", fx.html_page, "cute.png", 415, "could not recognise"),
    ("image/script polyglot", fx.polyglot_png, "poly.png", 415, "script"),
    ("truncated jpeg", fx.truncated_jpeg, "half.jpg", 422, "damaged or incomplete"),
    ("decompression bomb", fx.png_bomb, "bomb.png", 422, "decompression bomb"),
    ("zero bytes", lambda: b"", "empty.jpg", 422, "empty"),
    ("active pdf", fx.active_pdf, "form.pdf", 415, "script"),
    ("path traversal", fx.jpeg_with_exif, "../../etc/passwd", 422, "looks like a path"),
    ("double extension", fx.jpeg_with_exif, "a.jpg.php", 415, "ends in “.php”"),
    ("NUL in name", fx.jpeg_with_exif, "a\x00.jpg", 422, "control character"),
    ("CR/LF in name", fx.jpeg_with_exif, "a\r\nb.jpg", 422, "control character"),
    ("300-character name", fx.jpeg_with_exif, "x" * 296 + ".jpg", 422, "300 characters"),
    ("no name", fx.jpeg_with_exif, "", 422, "Choose a file"),
]


@pytest.mark.parametrize(("label", "make", "name", "status", "message"), HOSTILE, ids=[h[0] for h in HOSTILE])
def test_hostile_files_are_refused_with_a_message_and_leave_nothing(tmp_path, label, make, name, status, message):
    with pytest.raises(pipeline.MediaRejected) as refused:
        run(tmp_path, make(), name)
    assert refused.value.status == status
    assert message in refused.value.message
    assert not list((tmp_path / "work").glob("*")) if (tmp_path / "work").exists() else True


def test_over_the_size_limit(tmp_path):
    small = pipeline.Limits(max_bytes=1000, max_video_seconds=60, max_image_pixels=10)
    with pytest.raises(pipeline.MediaRejected) as refused:
        run(tmp_path, fx.jpeg_with_exif(200, 200), "big.jpg", small)
    assert refused.value.status == 413 and "limit" in refused.value.message


def test_over_the_pixel_limit_below_pillows_own(tmp_path):
    few = pipeline.Limits(max_bytes=2**20, max_video_seconds=60, max_image_pixels=1000)
    with pytest.raises(pipeline.MediaRejected, match="megapixels"):
        run(tmp_path, fx.jpeg_with_exif(), "wide.jpg", few)


def test_video_over_twenty_minutes_is_refused(tmp_path):
    source = fx.long_video(tmp_path / "long.webm", seconds=1300)
    with pytest.raises(pipeline.MediaRejected) as refused:
        pipeline.process(source, "long.webm", tmp_path / "work", LIMITS)
    assert refused.value.status == 413 and "21.7 minutes" in refused.value.message
    assert not any((tmp_path / "work").glob("*")) if (tmp_path / "work").exists() else True


def test_type_comes_from_content_not_name(tmp_path):
    # A real JPEG named .png is refused for the mismatch rather than trusted either way.
    with pytest.raises(pipeline.MediaRejected, match="image/jpeg"):
        run(tmp_path, fx.jpeg_with_exif(), "photo.png")


def test_ffprobe_and_ffmpeg_are_debians(tmp_path):
    assert subprocess.run([video_pdf.FFPROBE, "-version"], capture_output=True).returncode == 0
    assert subprocess.run([video_pdf.FFMPEG, "-version"], capture_output=True).returncode == 0


# Photo sequences ------------------------------------------------------------------------


def spooled(tmp_path, files: list[tuple[bytes, str]]) -> list[tuple]:
    """Files on disk as the upload spooler leaves them, with the names the browser sent."""
    out = []
    for number, (content, name) in enumerate(files):
        path = tmp_path / f"upload-{number}.part"
        path.write_bytes(content)
        out.append((path, name))
    return out


def test_a_sequence_is_cleaned_image_by_image_in_order(tmp_path):
    files = spooled(tmp_path, [(fx.jpeg_with_exif(64, 32), "a.jpg"), (fx.png_with_text(), "b.png"), (fx.jpeg_with_exif(90, 30), "c.jpg")])
    results = pipeline.process_all(files, tmp_path / "work", LIMITS)
    assert [r.original_name for r in results] == ["a.jpg", "b.png", "c.jpg"]
    assert [(r.main.width, r.main.height) for r in results] == [(32, 64), (40, 30), (30, 90)]
    for result in results:
        stored = result.main.path.read_bytes()
        assert not any(s in stored for s in (b"Exif", b"eXIf", b"tEXt", fx.CAMERA.encode(), fx.SECRET.encode()))
        assert result.preview.kind == "thumbnail" and result.preview.path.is_file()


def test_a_sequence_holds_at_most_the_configured_number_of_images(tmp_path):
    few = pipeline.Limits(max_bytes=2**20, max_video_seconds=60, max_image_pixels=10**6, max_images=2)
    files = spooled(tmp_path, [(fx.webp_image(), f"{n}.webp") for n in range(3)])
    with pytest.raises(pipeline.MediaRejected, match="You chose 3 files; a photo sequence holds at most 2 images"):
        pipeline.process_all(files, tmp_path / "work", few)
    assert len(pipeline.process_all(files[:2], tmp_path / "work", few)) == 2


@pytest.mark.parametrize(("bad", "name", "shown"), [
    (fx.png_bomb, "bomb.png", "File 3 of 3 (“bomb.png”): This image declares far more pixels"),
    (fx.html_page, "page.png", "File 3 of 3 (“page.png”): We could not recognise"),
    (fx.jpeg_with_exif, "a\r\nb.jpg", "File 3 of 3 (“ab.jpg”): The file name contains a control character"),
    (lambda: b"", "", "File 3 of 3: Choose a file"),
], ids=["bomb", "html", "CR/LF name", "nameless"])
def test_one_bad_image_refuses_the_sequence_names_it_and_leaves_nothing(tmp_path, bad, name, shown):
    files = spooled(tmp_path, [(fx.jpeg_with_exif(), "one.jpg"), (fx.webp_image(), "two.webp"), (bad(), name)])
    with pytest.raises(pipeline.MediaRejected) as refused:
        pipeline.process_all(files, tmp_path / "work", LIMITS)
    assert refused.value.message.startswith(shown)
    assert list((tmp_path / "work").iterdir()) == []  # the first two images' outputs are gone too


def test_a_sequence_over_the_size_limit_together_is_refused(tmp_path):
    small = pipeline.Limits(max_bytes=len(fx.webp_image()) * 2, max_video_seconds=60, max_image_pixels=10**6)
    files = spooled(tmp_path, [(fx.webp_image(), f"{n}.webp") for n in range(3)])
    with pytest.raises(pipeline.MediaRejected) as refused:
        pipeline.process_all(files, tmp_path / "work", small)
    assert refused.value.status == 413 and "These 3 images are" in refused.value.message
