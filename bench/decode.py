"""Memory of decoding a huge image: a 6300 x 6300 PNG of ~100 KB (39.7 MP, under the 40 MP limit).

Run with `python -m bench.decode`. Prints the peak resident memory of the process that runs the
pipeline (a job worker) and of the decoder child it starts (bounded by prlimit, IMAGE_DECODE_MEMORY_MB).
Before decoding moved to a child, one gunicorn worker went from 152 MB to 831 MB on this file.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image

from marketplace.media.isolated import DECODE_MEMORY_MB

PROBE = """
import resource, sys
from pathlib import Path
from marketplace.submissions import pipeline
limits = pipeline.Limits(max_bytes=250 * 2**20, max_video_seconds=1200, max_image_pixels=40_000_000)
result = pipeline.process(Path(sys.argv[1]), "huge.png", Path(sys.argv[2]), limits)
own = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:")) // 1024
print(own, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024)
"""


def main() -> None:
    """Decode the PNG through the pipeline in a fresh process and print the figures."""
    home = Path(tempfile.mkdtemp(prefix="bench-decode-"))
    png = home / "huge.png"
    Image.new("RGB", (6300, 6300), "white").save(png, "PNG", optimize=True)
    started = time.monotonic()
    out = subprocess.run([sys.executable, "-c", PROBE, str(png), str(home / "work")],
                         capture_output=True, text=True, check=True).stdout
    own, child = (int(x) for x in out.split())
    print(f"6300 x 6300 PNG ({png.stat().st_size / 1024:.0f} KB): {time.monotonic() - started:.1f} s, "
          f"worker peak {own} MB, decoder child peak {child} MB (limit {DECODE_MEMORY_MB} MB, IMAGE_DECODE_MEMORY_MB)")


if __name__ == "__main__":
    main()
