"""The media pipeline: decide the type by content, clean it, measure it, make previews.

Everything here works on files in a work directory and never on request objects, so the
same code serves uploads, the seed and the tests. Any refusal raises MediaRejected with
a message written for the person who chose the file. This module holds the types, the
quick checks and the tool runner; images.py and video_pdf.py do the work per kind.
"""

from __future__ import annotations

import ctypes
import os
import re
import secrets
import shutil
import signal
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import filetype

PRLIMIT = shutil.which("prlimit")  # util-linux; without it the wall-clock timeout still applies
CHUNK = 1024 * 1024
PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
MAX_NAME_LENGTH = 200

# Detected content type -> (kind, stored extension, file-name extensions that may claim it).
ALLOWED = {
    "video/mp4": ("video", "mp4", {"mp4", "m4v"}),
    "video/webm": ("video", "webm", {"webm"}),
    "image/jpeg": ("image", "jpg", {"jpg", "jpeg"}),
    "image/png": ("image", "png", {"png"}),
    "image/webp": ("image", "webp", {"webp"}),
    "application/pdf": ("pdf", "pdf", {"pdf"}),
}
ALLOWED_EXTENSIONS = sorted({ext for _, _, names in ALLOWED.values() for ext in names})

# Markup or script inside an image or PDF means a polyglot, whatever the pixels look like.
ACTIVE_MARKERS = [b"<script", b"<html", b"<body", b"<iframe", b"<svg", b"<?php", b"javascript:", b"onerror="]


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
        # Imported here: the per-kind modules import this one.
        from marketplace.submissions.images import check_dimensions

        refuse_active_content(source)
        check_dimensions(source, mime, limits)
    elif kind == "pdf":
        from marketplace.submissions.video_pdf import refuse_active_pdf

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
            from marketplace.submissions.video_pdf import clean_video

            main, preview = clean_video(source, checked.mime, workdir, limits, outputs)
        else:
            from marketplace.submissions.video_pdf import clean_pdf

            main, preview = clean_pdf(source, workdir, outputs)
    except BaseException:
        discard(outputs)
        raise
    return Result(main, preview, checked.name, outputs)


def discard(outputs: list[Output]) -> None:
    """Remove outputs that will not be registered."""
    for output in outputs:
        output.path.unlink(missing_ok=True)


def new_output(workdir: Path, outputs: list[Output], kind: str, content_type: str, extension: str) -> Output:
    """A fresh output path in `workdir`, added to `outputs` so a refusal removes it."""
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


def run_quietly(command: list[str], timeout: float = 600) -> bool:
    """Run a media tool as run_tool does; True when it succeeded, False when it failed, was missing or timed out."""
    try:
        return run_tool(command, timeout).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False
