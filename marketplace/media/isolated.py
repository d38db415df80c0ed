"""Decode images in a child process under a memory limit, so a worker's own memory stays flat.

A 6300 × 6300 PNG of 116 KB is under the pixel limit yet needs ~160 MB per decoded copy;
decoded in the worker it took the process from 152 MB to 831 MB and kept it there. Here the
child holds the pixels, prlimit caps its address space, and the parent only reads a line of
JSON. Run as `python -m marketplace.media.isolated SOURCE MIME WORKDIR MAX_PIXELS MAX_BYTES`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path

from marketplace.submissions import images, pipeline

DECODE_MEMORY_MB = int(os.environ.get("IMAGE_DECODE_MEMORY_MB", "1024"))
DECODE_SECONDS = 120


def image(source: Path, mime: str, workdir: Path, limits: pipeline.Limits, outputs: list[pipeline.Output]):
    """images.clean_image in a child process; the outputs it made are added to `outputs`."""
    workdir.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "marketplace.media.isolated", str(source), mime, str(workdir),
               str(limits.max_image_pixels), str(limits.max_bytes)]
    if pipeline.PRLIMIT:
        command = [pipeline.PRLIMIT, f"--as={DECODE_MEMORY_MB * 2**20}", f"--cpu={DECODE_SECONDS}", "--", *command]
    try:
        finished = pipeline.run_tool(command, timeout=DECODE_SECONDS)
    except subprocess.TimeoutExpired:
        raise pipeline.MediaRejected("This image took too long to process; export it smaller and try again.") from None
    answer = _answer(finished.stdout)
    if answer is None:
        # Killed by the memory or CPU limit, or crashed in the decoder: not the person's fault alone, but nothing to keep.
        raise pipeline.MediaRejected(
            f"This image needs more memory to decode than the server allows ({DECODE_MEMORY_MB} MB); "
            "export it with fewer pixels and try again."
        )
    if "rejected" in answer:
        raise pipeline.MediaRejected(answer["rejected"], answer.get("status", 422))
    made = [pipeline.Output(**{**fields, "path": Path(fields["path"])}) for fields in answer["outputs"]]
    outputs.extend(made)
    return made[0], (made[1] if len(made) > 1 else None)


def _answer(stdout: bytes) -> dict | None:
    lines = [line for line in stdout.decode(errors="replace").splitlines() if line.startswith("{")]
    try:
        return json.loads(lines[-1]) if lines else None
    except ValueError:
        return None


def main(argv: list[str]) -> int:
    """The child: decode one image, print what it made (or the refusal) as one JSON line."""
    source, mime, workdir, max_pixels, max_bytes = argv
    limits = pipeline.Limits(max_bytes=int(max_bytes), max_video_seconds=0, max_image_pixels=int(max_pixels))
    outputs: list[pipeline.Output] = []
    try:
        images.clean_image(Path(source), mime, Path(workdir), limits, outputs)
    except pipeline.MediaRejected as refusal:
        pipeline.discard(outputs)
        print(json.dumps({"rejected": refusal.message, "status": refusal.status}))
        return 0
    except BaseException:
        pipeline.discard(outputs)
        raise
    print(json.dumps({"outputs": [{**asdict(o), "path": str(o.path)} for o in outputs]}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
