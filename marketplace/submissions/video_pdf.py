"""Videos and PDFs in the media pipeline: probe and remux with ffmpeg, check and render with poppler.

The tools run as child processes bounded in time (and, for PDFs, in memory and output) that die
with the worker that started them.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import warnings
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from marketplace.submissions import pdfcheck
from marketplace.submissions.images import THUMBNAIL_SIZE, thumbnail
from marketplace.submissions.pipeline import (
    ALLOWED,
    PRLIMIT,
    Limits,
    MediaRejected,
    Output,
    new_output,
    refuse_active_content,
    run_quietly,
    run_tool,
)

FFPROBE = shutil.which("ffprobe") or "/usr/bin/ffprobe"
FFMPEG = shutil.which("ffmpeg") or "/usr/bin/ffmpeg"
PDFTOPPM = shutil.which("pdftoppm") or "/usr/bin/pdftoppm"
# A PDF is hostile until proven otherwise: page 1 only, scaled down, bounded time, memory and output.
PDF_RENDER_SECONDS = 20
PDF_RENDER_LIMITS = ["--as=1073741824", "--cpu=20", "--fsize=33554432"]
CONTAINERS = {"video/mp4": "mp4", "video/webm": "webm"}  # ffprobe format_name must mention it
PDFTOTEXT = shutil.which("pdftotext") or "/usr/bin/pdftotext"
PDF_TEXT_SECONDS = 20
PDF_TEXT_LIMIT = 200_000  # characters screened; a longer PDF is screened up to here


def probe(path: Path) -> dict:
    """Container facts from ffprobe: format name, duration and streams."""
    command = [
        FFPROBE, "-v", "error", "-show_entries",
        "format=format_name,duration:stream=codec_type,codec_name,width,height,duration", "-of", "json", str(path),
    ]
    try:
        result = run_tool(command, timeout=120)
    except subprocess.TimeoutExpired:
        raise MediaRejected("We could not read this video.") from None
    except OSError as error:
        # ffprobe missing or not runnable: the server's fault, not the file's, so the job retries and an admin sees it.
        raise RuntimeError(f"ffprobe could not run ({error}); install ffmpeg (scripts/ensure-media-tools)") from error
    if result.returncode != 0:
        raise MediaRejected("This video is damaged or incomplete and could not be read.")
    return json.loads(result.stdout or b"{}")


def _duration(facts: dict) -> float | None:
    candidates = [facts.get("format", {}).get("duration")]
    candidates += [s.get("duration") for s in facts.get("streams", [])]
    values = []
    for value in candidates:
        try:
            values.append(float(value))
        except (TypeError, ValueError):
            continue
    return max(values) if values else None


def clean_video(source: Path, mime: str, workdir: Path, limits: Limits, outputs: list[Output]):
    """Probe and remux a video without its metadata, and grab a poster frame if one can be had."""
    facts = probe(source)
    if CONTAINERS[mime] not in facts.get("format", {}).get("format_name", ""):
        raise MediaRejected("This video's container is not MP4 or WebM.", 415)
    video = next((s for s in facts.get("streams", []) if s.get("codec_type") == "video"), None)
    if video is None:
        raise MediaRejected("This file has no video track.")
    seconds = _duration(facts)
    if seconds is None:
        raise MediaRejected("We could not read how long this video is.")
    if seconds > limits.max_video_seconds:
        raise MediaRejected(
            f"This video is {seconds / 60:.1f} minutes long; the limit is {limits.max_video_seconds / 60:g} minutes.", 413
        )
    extension = ALLOWED[mime][1]
    main = new_output(workdir, outputs, "video", mime, extension)
    # Remux without re-encoding: drops metadata (phones write GPS there) and moves the index up front.
    remux = [FFMPEG, "-v", "error", "-y", "-i", str(source), "-map", "0:v", "-map", "0:a?", "-c", "copy",
             "-map_metadata", "-1", "-map_chapters", "-1"]
    remux += ["-movflags", "+faststart", "-f", "mp4"] if extension == "mp4" else ["-f", "webm"]
    if not run_quietly([*remux, str(main.path)]):
        raise MediaRejected("This video could not be processed; try exporting it again as MP4 or WebM.")
    main.width, main.height, main.duration_seconds = video.get("width"), video.get("height"), round(seconds, 2)
    poster = new_output(workdir, outputs, "poster", "image/jpeg", "jpg")
    at = f"{min(1.0, seconds / 2):.2f}"
    grab = [FFMPEG, "-v", "error", "-y", "-ss", at, "-i", str(main.path), "-frames:v", "1",
            "-vf", "scale='min(640,iw)':-2", "-map_metadata", "-1", str(poster.path)]
    if not run_quietly(grab) or not poster.path.is_file() or poster.path.stat().st_size == 0:
        outputs.remove(poster)
        poster.path.unlink(missing_ok=True)
        return main, None
    return main, poster


def refuse_active_pdf(source: Path) -> None:
    """Refuse a PDF with scripts, actions, forms or attachments, judged by a real parser after decompression."""
    refuse_active_content(source)
    reason = pdfcheck.active_content(source)
    if reason:
        raise MediaRejected(
            f"This PDF was refused because {reason}. Print it to a new PDF (or export it again without "
            "scripts, forms, attachments or automatic actions) and upload that.", 415,
        )


def clean_pdf(source: Path, workdir: Path, outputs: list[Output]):
    """Keep a PDF with no active content as it is, with a page-1 thumbnail if one can be rendered."""
    refuse_active_pdf(source)
    main = new_output(workdir, outputs, "pdf", "application/pdf", "pdf")
    shutil.copyfile(source, main.path)  # copies in chunks; the upload temp file goes away
    return main, pdf_thumbnail(main.path, workdir, outputs)


def pdf_text(pdf: Path) -> str:
    """The PDF's text (Debian's pdftotext, bounded in time and memory), or "" when it has none or fails."""
    if not pdf.is_file():
        return ""
    command = [PDFTOTEXT, "-q", "-enc", "UTF-8", "-l", "200", str(pdf), "-"]
    if PRLIMIT:
        command = [PRLIMIT, *PDF_RENDER_LIMITS, "--", *command]
    try:
        done = subprocess.run(command, capture_output=True, timeout=PDF_TEXT_SECONDS, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return done.stdout.decode("utf-8", "replace")[:PDF_TEXT_LIMIT] if done.returncode == 0 else ""


def pdf_thumbnail(pdf: Path, workdir: Path, outputs: list[Output]) -> Output | None:
    """Page 1 of a PDF as a thumbnail, or None: a PDF we cannot render is still accepted."""
    workdir.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(dir=workdir, prefix="pdf-"))
    try:
        longest = str(max(THUMBNAIL_SIZE))
        render = [PDFTOPPM, "-f", "1", "-l", "1", "-singlefile", "-png", "-scale-to", longest, str(pdf), str(scratch / "page")]
        if PRLIMIT:
            render = [PRLIMIT, *PDF_RENDER_LIMITS, "--", *render]
        page_png = scratch / "page.png"
        if not run_quietly(render, timeout=PDF_RENDER_SECONDS) or not page_png.is_file():
            return None
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error", Image.DecompressionBombWarning)
                with Image.open(page_png, formats=["PNG"]) as page:
                    if page.width * page.height > 4 * THUMBNAIL_SIZE[0] * THUMBNAIL_SIZE[1]:
                        return None  # -scale-to was ignored: do not trust the rest either
                    converted = page.convert("RGB")
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError,
                Image.DecompressionBombError, Image.DecompressionBombWarning):
            return None
        # Re-encoded from raw pixels like every other thumbnail, so nothing of the renderer's file survives.
        return thumbnail(Image.frombytes("RGB", converted.size, converted.tobytes()), workdir, outputs)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
