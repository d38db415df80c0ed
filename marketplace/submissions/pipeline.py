"""The media pipeline: decide the type by content, clean it, measure it, make previews.

Everything here works on files in a work directory and never on request objects, so the
same code serves uploads, the seed and the tests. Any refusal raises MediaRejected with
a message written for the person who chose the file.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import tempfile
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import filetype
from PIL import Image, ImageOps, UnidentifiedImageError

from marketplace.submissions import pdfcheck

FFPROBE = shutil.which("ffprobe") or "/usr/bin/ffprobe"
FFMPEG = shutil.which("ffmpeg") or "/usr/bin/ffmpeg"
PDFTOPPM = shutil.which("pdftoppm") or "/usr/bin/pdftoppm"
PRLIMIT = shutil.which("prlimit")  # util-linux; without it the wall-clock timeout still applies
# A PDF is hostile until proven otherwise: page 1 only, scaled down, bounded time, memory and output.
PDF_RENDER_SECONDS = 20
PDF_RENDER_LIMITS = ["--as=1073741824", "--cpu=20", "--fsize=33554432"]
CHUNK = 1024 * 1024
PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
MAX_NAME_LENGTH = 200
THUMBNAIL_SIZE = (640, 640)

# Detected content type -> (kind, stored extension, file-name extensions that may claim it).
ALLOWED = {
    "video/mp4": ("video", "mp4", {"mp4", "m4v"}),
    "video/webm": ("video", "webm", {"webm"}),
    "image/jpeg": ("image", "jpg", {"jpg", "jpeg"}),
    "image/png": ("image", "png", {"png"}),
    "image/webp": ("image", "webp", {"webp"}),
    "application/pdf": ("pdf", "pdf", {"pdf"}),
}
PILLOW_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}
CONTAINERS = {"video/mp4": "mp4", "video/webm": "webm"}  # ffprobe format_name must mention it
ALLOWED_EXTENSIONS = sorted({ext for _, _, names in ALLOWED.values() for ext in names})

# Markup or script inside an image or PDF means a polyglot, whatever the pixels look like.
ACTIVE_MARKERS = [b"<script", b"<html", b"<body", b"<iframe", b"<svg", b"<?php", b"javascript:", b"onerror="]
PDFTOTEXT = shutil.which("pdftotext") or "/usr/bin/pdftotext"
PDF_TEXT_SECONDS = 20
PDF_TEXT_LIMIT = 200_000  # characters screened; a longer PDF is screened up to here


class MediaRejected(ValueError):
    """A file we refuse, with the message to show and the HTTP status to use."""

    def __init__(self, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass
class Limits:
    """Configurable limits, stated on the form."""

    max_bytes: int  # per file, and for all the images of a sequence together
    max_video_seconds: int
    max_image_pixels: int
    max_images: int = 20  # in one photo sequence


@dataclass
class Output:
    """One cleaned file in the work directory, ready to be registered."""

    path: Path
    kind: str
    content_type: str
    extension: str
    width: int | None = None
    height: int | None = None
    duration_seconds: float | None = None


@dataclass
class Result:
    """What an upload became: the main file, an optional poster or thumbnail, the display name."""

    main: Output
    preview: Output | None
    original_name: str
    outputs: list[Output] = field(default_factory=list)


def check_name(name: str | None) -> str:
    """Return the display name, or refuse names that are paths, hide control bytes or are too long."""
    if not name:
        raise MediaRejected("Choose a file to upload.")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in name):
        raise MediaRejected("The file name contains a control character (such as NUL or a line break). Rename the file and try again.")
    if len(name) > MAX_NAME_LENGTH:
        raise MediaRejected(f"The file name is {len(name)} characters long; rename it to at most {MAX_NAME_LENGTH} characters.")
    if "/" in name or "\\" in name or ".." in name or name.startswith("."):
        raise MediaRejected("The file name looks like a path (it contains / \\ or ..). Rename the file and try again.")
    return name


def sniff(path: Path) -> str | None:
    """The content type told by the file's magic bytes (its name plays no part)."""
    kind = filetype.guess(str(path))
    return kind.mime if kind else None


def process_all(files: list[tuple[Path, str | None]], workdir: Path, limits: Limits) -> list[Result]:
    """Check and clean one file, or several images making a photo sequence (in order); all or nothing.

    Refusing any file refuses them all, removes whatever was already made, and names the file.
    """
    results: list[Result] = []
    try:
        for_each_file(files, limits, lambda path, name, kinds: results.append(process(path, name, workdir, limits, kinds)))
    except BaseException:
        for result in results:
            discard(result.outputs)
        raise
    return results


def check_all(files: list[tuple[Path, str | None]], limits: Limits) -> list[Checked]:
    """The quick checks of process_all (names, sizes, types, markup, image dimensions), decoding nothing.

    Run while the uploader waits; the slow work (decode, probe, remux, posters) runs as a job.
    """
    checked: list[Checked] = []
    for_each_file(files, limits, lambda path, name, kinds: checked.append(check(path, name, limits, kinds)))
    return checked


def for_each_file(files: list[tuple[Path, str | None]], limits: Limits, handle) -> None:
    """Call handle(path, name, kinds) per file: one file of any kind, or 2+ images within the sequence limits."""
    if not files:
        raise MediaRejected("Choose a file to upload.")
    if len(files) == 1:
        handle(*files[0], None)
        return
    if len(files) > limits.max_images:
        raise MediaRejected(f"You chose {len(files)} files; a photo sequence holds at most {limits.max_images} images.")
    total = sum(path.stat().st_size for path, _ in files)
    if total > limits.max_bytes:
        raise MediaRejected(
            f"These {len(files)} images are {total / 2**20:.0f} MB together; the limit is {limits.max_bytes // 2**20} MB.", 413
        )
    for number, (path, name) in enumerate(files, 1):
        try:
            handle(path, name, {"image"})
        except MediaRejected as refusal:
            raise MediaRejected(f"{_which(number, len(files), name)}: {refusal.message}", refusal.status) from None


def _which(number: int, total: int, name: str | None) -> str:
    # Name the file so the person knows which to fix, minus anything unprintable.
    shown = "".join(ch for ch in name or "" if ch.isprintable())
    shown = shown if len(shown) <= 80 else shown[:79] + "…"
    return f"File {number} of {total} (“{shown}”)" if shown else f"File {number} of {total}"


@dataclass
class Checked:
    """A file that passed the quick checks: its display name, detected type and kind."""

    name: str
    mime: str
    kind: str


def check(source: Path, name: str | None, limits: Limits, kinds: set[str] | None = None) -> Checked:
    """The quick checks on one upload (of one of `kinds`, if given): nothing is decoded or run."""
    display_name = check_name(name)
    size = source.stat().st_size
    if size == 0:
        raise MediaRejected("The file is empty (0 bytes).")
    if size > limits.max_bytes:
        raise MediaRejected(f"The file is {size / 2**20:.0f} MB; the limit is {limits.max_bytes // 2**20} MB.", 413)
    mime = sniff(source)
    if mime not in ALLOWED:
        raise MediaRejected(
            "We could not recognise this file as an MP4 or WebM video, a JPEG, PNG or WebP image, or a PDF. "
            "Its contents decide, not its name.", 415,
        )
    kind, extension, name_extensions = ALLOWED[mime]
    if kinds is not None and kind not in kinds:
        raise MediaRejected(
            f"This is a {kind}, and several files make a photo sequence, which holds JPEG, PNG or WebP images only. "
            "Upload a video or PDF on its own.", 415,
        )
    claimed = display_name.rsplit(".", 1)[-1].lower() if "." in display_name else ""
    if claimed not in name_extensions:
        raise MediaRejected(
            f"The file contains {kind} data ({mime}) but its name ends in “.{claimed}”. "
            f"Name it with one of: {', '.join('.' + e for e in sorted(name_extensions))}.", 415,
        )
    if kind == "image":
        refuse_active_content(source)
        _check_dimensions(source, mime, limits)
    elif kind == "pdf":
        refuse_active_pdf(source)  # in the request: a hostile PDF is refused before anything is stored
    return Checked(display_name, mime, kind)


def process(source: Path, name: str | None, workdir: Path, limits: Limits, kinds: set[str] | None = None) -> Result:
    """Check and clean one upload (of one of `kinds`, if given); outputs land in `workdir` and are removed on refusal."""
    checked = check(source, name, limits, kinds)
    outputs: list[Output] = []
    try:
        if checked.kind == "image":
            from marketplace.media import isolated  # decoded in a child process with a memory limit

            main, preview = isolated.image(source, checked.mime, workdir, limits, outputs)
        elif checked.kind == "video":
            main, preview = _video(source, checked.mime, workdir, limits, outputs)
        else:
            main, preview = _pdf(source, workdir, outputs)
    except BaseException:
        discard(outputs)
        raise
    return Result(main, preview, checked.name, outputs)


def _check_dimensions(source: Path, mime: str, limits: Limits) -> None:
    # Reads the header only: the pixel count is known before anything is decoded.
    with _image_errors(), Image.open(source, formats=[PILLOW_FORMATS[mime]]) as opened:
        if opened.width * opened.height > limits.max_image_pixels:
            raise MediaRejected(_too_many_pixels(opened.width, opened.height, limits))


@contextlib.contextmanager
def _image_errors() -> Iterator[None]:
    """Turn Pillow's errors (and its bomb warning, made an error) into refusals worded for people."""
    try:
        with warnings.catch_warnings():
            # Pillow only warns between MAX_IMAGE_PIXELS and twice that; we refuse both.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            yield
    except MediaRejected:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise MediaRejected("This image declares far more pixels than any photo (a decompression bomb) and was refused.") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as error:
        raise MediaRejected(f"This image is damaged or incomplete and could not be read ({type(error).__name__}).") from None


def discard(outputs: list[Output]) -> None:
    """Remove outputs that will not be registered."""
    for output in outputs:
        output.path.unlink(missing_ok=True)


def _new_output(workdir: Path, outputs: list[Output], kind: str, content_type: str, extension: str) -> Output:
    workdir.mkdir(parents=True, exist_ok=True)
    path = workdir / f"out-{secrets.token_hex(12)}.{extension}"
    output = Output(path, kind, content_type, extension)
    outputs.append(output)
    return output


def refuse_active_content(path: Path, extra: re.Pattern[bytes] | None = None) -> None:
    """Refuse files that carry markup, script or (for PDFs) active content anywhere in them."""
    tail = b""
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            window = (tail + chunk).lower()
            if any(marker in window for marker in ACTIVE_MARKERS) or (extra and extra.search(tail + chunk)):
                raise MediaRejected(
                    "This file contains embedded script or web markup (an image/script polyglot or an active PDF). "
                    "Export it again from your camera or editor and upload that.", 415,
                )
            tail = chunk[-32:]


def _image(source: Path, mime: str, workdir: Path, limits: Limits, outputs: list[Output]):
    """Decode, straighten and re-encode an image; at most two full copies of the pixels exist at once."""
    refuse_active_content(source)
    pillow_format = PILLOW_FORMATS[mime]
    with _image_errors():
        with Image.open(source, formats=[pillow_format]) as opened:
            if opened.width * opened.height > limits.max_image_pixels:
                raise MediaRejected(_too_many_pixels(opened.width, opened.height, limits))
            opened.load()
            ImageOps.exif_transpose(opened, in_place=True)  # no extra copy of the pixels
            mode = "RGB" if pillow_format == "JPEG" or not _has_alpha(opened) else "RGBA"
            converted = opened.convert(mode)
        del opened  # closing does not free the pixels; dropping the last reference does
    # A brand-new image has no EXIF, GPS, ICC, XMP or comments to carry over. Pasting (not tobytes and
    # frombytes) keeps at most two copies of the pixels at any moment.
    clean = Image.new(mode, converted.size)
    clean.paste(converted)
    del converted
    main = _new_output(workdir, outputs, "image", mime, ALLOWED[mime][1])
    options = {"JPEG": {"quality": 88}, "PNG": {}, "WEBP": {"quality": 85}}[pillow_format]
    clean.save(main.path, pillow_format, **options)
    main.width, main.height = clean.size
    return main, _thumbnail(clean, workdir, outputs)


def _thumbnail(clean: Image.Image, workdir: Path, outputs: list[Output]) -> Output:
    # Shrinks `clean` in place: callers are done with it.
    thumb = _new_output(workdir, outputs, "thumbnail", "image/webp", "webp")
    clean.thumbnail(THUMBNAIL_SIZE)
    clean.save(thumb.path, "WEBP", quality=80)
    thumb.width, thumb.height = clean.size
    return thumb


def _has_alpha(image: Image.Image) -> bool:
    return "A" in image.getbands() or "transparency" in image.info


def _too_many_pixels(width: int, height: int, limits: Limits) -> str:
    return f"This image is {width} × {height} pixels; the limit is {limits.max_image_pixels / 1e6:.0f} megapixels."


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


def _die_with_parent() -> None:
    # In the child before exec: the kernel kills it (SIGKILL) when the worker that started it dies,
    # so a killed job leaves no ffmpeg or pdftoppm running on to the end.
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() == 1:  # the parent died before prctl took effect
        os._exit(1)


def run_tool(command: list[str], timeout: float) -> subprocess.CompletedProcess:
    """Run a media tool that dies with its parent and is killed at the timeout."""
    return subprocess.run(command, capture_output=True, timeout=timeout, check=False,
                          stdin=subprocess.DEVNULL, preexec_fn=_die_with_parent)


def _run(command: list[str], timeout: float = 600) -> bool:
    try:
        return run_tool(command, timeout).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def _video(source: Path, mime: str, workdir: Path, limits: Limits, outputs: list[Output]):
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
    main = _new_output(workdir, outputs, "video", mime, extension)
    # Remux without re-encoding: drops metadata (phones write GPS there) and moves the index up front.
    remux = [FFMPEG, "-v", "error", "-y", "-i", str(source), "-map", "0:v", "-map", "0:a?", "-c", "copy",
             "-map_metadata", "-1", "-map_chapters", "-1"]
    remux += ["-movflags", "+faststart", "-f", "mp4"] if extension == "mp4" else ["-f", "webm"]
    if not _run([*remux, str(main.path)]):
        raise MediaRejected("This video could not be processed; try exporting it again as MP4 or WebM.")
    main.width, main.height, main.duration_seconds = video.get("width"), video.get("height"), round(seconds, 2)
    poster = _new_output(workdir, outputs, "poster", "image/jpeg", "jpg")
    at = f"{min(1.0, seconds / 2):.2f}"
    grab = [FFMPEG, "-v", "error", "-y", "-ss", at, "-i", str(main.path), "-frames:v", "1",
            "-vf", "scale='min(640,iw)':-2", "-map_metadata", "-1", str(poster.path)]
    if not _run(grab) or not poster.path.is_file() or poster.path.stat().st_size == 0:
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


def _pdf(source: Path, workdir: Path, outputs: list[Output]):
    refuse_active_pdf(source)
    main = _new_output(workdir, outputs, "pdf", "application/pdf", "pdf")
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
        if not _run(render, timeout=PDF_RENDER_SECONDS) or not page_png.is_file():
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
        return _thumbnail(Image.frombytes("RGB", converted.size, converted.tobytes()), workdir, outputs)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
