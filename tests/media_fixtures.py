"""Test media, generated on the spot (never downloaded): good files and hostile ones."""

from __future__ import annotations

import io
import struct
import subprocess
import zlib
from pathlib import Path

from PIL import Image, PngImagePlugin

SECRET = "SECRET-COMMENT-XYZ"
CAMERA = "SpyCam-9000"


def _noise(width: int, height: int) -> Image.Image:
    data = bytes((x * 7 + y * 13 + (x * y) % 251) % 256 for y in range(height) for x in range(width) for _ in range(3))
    return Image.frombytes("RGB", (width, height), data)


def jpeg_with_exif(width: int = 64, height: int = 32) -> bytes:
    """A JPEG with EXIF (camera, rotate-90 orientation, GPS position) and a comment."""
    exif = Image.Exif()
    exif[0x010F] = CAMERA  # Make
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to display
    exif[0x8825] = {1: "N", 2: (51.0, 30.0, 12.5), 3: "W", 4: (0.0, 7.0, 39.0)}  # GPS IFD
    out = io.BytesIO()
    _noise(width, height).save(out, "JPEG", exif=exif.tobytes(), comment=SECRET.encode())
    return out.getvalue()


def png_with_text() -> bytes:
    """A PNG with a text chunk and an eXIf chunk."""
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", SECRET)
    exif = Image.Exif()
    exif[0x010F] = CAMERA
    out = io.BytesIO()
    _noise(40, 30).save(out, "PNG", pnginfo=info, exif=exif.tobytes())
    return out.getvalue()


def webp_image() -> bytes:
    """A small WebP."""
    out = io.BytesIO()
    _noise(50, 40).save(out, "WEBP")
    return out.getvalue()


def html_page() -> bytes:
    """An HTML page (to be renamed .png by the tests)."""
    return b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>\n"


def polyglot_png() -> bytes:
    """A valid PNG that is also an HTML page with a script: a text chunk plus markup after IEND."""
    info = PngImagePlugin.PngInfo()
    info.add_text("Description", "<script>alert(document.domain)</script>")
    out = io.BytesIO()
    _noise(16, 16).save(out, "PNG", pnginfo=info)
    return out.getvalue() + b"<html><body><script>fetch('/admin')</script></body></html>"


def truncated_jpeg() -> bytes:
    """The first half of a real JPEG."""
    out = io.BytesIO()
    _noise(200, 200).save(out, "JPEG", quality=95)
    data = out.getvalue()
    return data[: len(data) // 2]


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png_bomb(width: int = 30_000, height: int = 30_000) -> bytes:
    """A PNG that declares 30,000 × 30,000 pixels in a few hundred bytes (a decompression bomb)."""
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1-bit greyscale
    rows = zlib.compress(b"\x00" * (1 + width // 8) * 64, 9)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", rows) + _chunk(b"IEND", b"")


def pdf(extra: bytes = b"") -> bytes:
    """A minimal one-page PDF; `extra` goes into the catalog dictionary."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R " + extra + b">>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>",
    ]
    body, offsets = b"%PDF-1.4\n", []
    for number, obj in enumerate(objects, 1):
        offsets.append(len(body))
        body += f"{number} 0 obj\n".encode() + obj + b"\nendobj\n"
    xref = len(body)
    body += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    body += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    body += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return body


def pillow_pdf(colours: tuple[str, ...] = ("red", "blue"), size: tuple[int, int] = (300, 400)) -> bytes:
    """A PDF made by Pillow with one solid-colour page per colour (page 1 first)."""
    pages = [Image.new("RGB", size, colour) for colour in colours]
    out = io.BytesIO()
    pages[0].save(out, "PDF", save_all=True, append_images=pages[1:], resolution=72)
    return out.getvalue()


def broken_pdf() -> bytes:
    """Starts like a PDF (so it is sniffed as one) but no renderer can make sense of it."""
    return b"%PDF-1.4\n" + b"not really a pdf " * 64


def active_pdf() -> bytes:
    """A PDF that runs JavaScript when opened."""
    return pdf(b"/OpenAction << /S /JavaScript /JS (app.alert('hi')) >> ")


def video(path: Path, seconds: float = 2, size: str = "64x48", rate: int = 10, fmt: str = "webm") -> Path:
    """A small test-pattern video with a title and a GPS-like location in its metadata."""
    codec = ["-c:v", "libvpx", "-b:v", "200k"] if fmt == "webm" else ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]
    command = [
        "ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", f"testsrc=size={size}:rate={rate}", "-t", str(seconds),
        *codec, "-metadata", f"title={SECRET}", "-metadata", "location=+51.5074-000.1278/", str(path),
    ]
    subprocess.run(command, check=True, capture_output=True, timeout=120)
    return path


def long_video(path: Path, seconds: int = 1300) -> Path:
    """A video over 20 minutes, made cheaply: 16 × 16 pixels at one frame a second."""
    command = [
        "ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "color=size=16x16:rate=1", "-t", str(seconds),
        "-c:v", "libvpx", "-b:v", "1k", str(path),
    ]
    subprocess.run(command, check=True, capture_output=True, timeout=300)
    return path
