"""Images in the media pipeline: read the header, decode, straighten, strip and re-encode, thumbnail.

Run in a child process under a memory limit (marketplace.media.isolated); a PDF's page-1
thumbnail goes through `thumbnail` too.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from marketplace.submissions.pipeline import (
    ALLOWED,
    Limits,
    MediaRejected,
    Output,
    new_output,
    refuse_active_content,
)

THUMBNAIL_SIZE = (640, 640)
PILLOW_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}


def check_dimensions(source: Path, mime: str, limits: Limits) -> None:
    """Refuse an image with more pixels than the limit, reading its header only."""
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


def clean_image(source: Path, mime: str, workdir: Path, limits: Limits, outputs: list[Output]):
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
    main = new_output(workdir, outputs, "image", mime, ALLOWED[mime][1])
    options = {"JPEG": {"quality": 88}, "PNG": {}, "WEBP": {"quality": 85}}[pillow_format]
    clean.save(main.path, pillow_format, **options)
    main.width, main.height = clean.size
    return main, thumbnail(clean, workdir, outputs)


def thumbnail(clean: Image.Image, workdir: Path, outputs: list[Output]) -> Output:
    """A WebP thumbnail of an already clean image."""
    # Shrinks `clean` in place: callers are done with it.
    thumb = new_output(workdir, outputs, "thumbnail", "image/webp", "webp")
    clean.thumbnail(THUMBNAIL_SIZE)
    clean.save(thumb.path, "WEBP", quality=80)
    thumb.width, thumb.height = clean.size
    return thumb


def _has_alpha(image: Image.Image) -> bool:
    return "A" in image.getbands() or "transparency" in image.info


def _too_many_pixels(width: int, height: int, limits: Limits) -> str:
    return f"This image is {width} × {height} pixels; the limit is {limits.max_image_pixels / 1e6:.0f} megapixels."
