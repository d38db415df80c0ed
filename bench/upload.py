"""Upload a 200 MB video to a real gunicorn worker; report the worker's peak memory and the time.

Run with `python -m bench.upload [size_mb]`. It builds a throwaway demo site in a temp
directory, makes a high-entropy MP4 of the requested size with ffmpeg, streams it to
/submit over HTTP in 1 MB chunks, and samples the worker's memory from /proc meanwhile.
"""

from __future__ import annotations

import http.client
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHUNK = 1024 * 1024


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def _worker(master: int) -> int:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
        if children:
            return int(children[0])
        time.sleep(0.1)
    raise RuntimeError("gunicorn started no worker")


def make_video(path: Path, size_mb: int) -> Path:
    """A lossless H.264 MP4 of random pixels: incompressible, so size_mb is reached quickly."""
    if path.exists() and path.stat().st_size >= (size_mb - 1) * 2**20:
        return path
    command = [
        "ffmpeg", "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "yuv420p", "-s", "640x360", "-r", "25",
        "-i", "/dev/urandom", "-t", "600", "-c:v", "libx264", "-preset", "ultrafast", "-qp", "0",
        "-fs", str(size_mb * 2**20), str(path),
    ]
    subprocess.run(command, check=True, timeout=900)
    return path


class Session:
    """A tiny cookie-keeping HTTP client on http.client (streams bodies, no extra dependency)."""

    def __init__(self, port: int) -> None:
        self.port, self.cookies = port, {}

    def request(self, method: str, path: str, body=None, headers: dict | None = None, length: int | None = None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=900)
        conn.putrequest(method, path)
        all_headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()), **(headers or {})}
        if length is not None:
            all_headers["Content-Length"] = str(length)
        for key, value in all_headers.items():
            conn.putheader(key, value)
        conn.endheaders()
        for chunk in body or ():
            conn.send(chunk)
        response = conn.getresponse()
        text = response.read().decode("utf-8", "replace")
        for key, value in response.getheaders():
            if key.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
        conn.close()
        return response.status, dict(response.getheaders()), text

    def token(self, path: str) -> str:
        _, _, html = self.request("GET", path)
        match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)
        return match.group(1)


def _multipart(fields: dict[str, str], file: Path, boundary: str):
    head = "".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n' for k, v in fields.items()
    ).encode()
    head += (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{file.name}"\r\n'
             "Content-Type: video/mp4\r\n\r\n").encode()
    tail = f"\r\n--{boundary}--\r\n".encode()

    def chunks():
        yield head
        with file.open("rb") as handle:
            while block := handle.read(CHUNK):
                yield block
        yield tail

    return chunks(), len(head) + file.stat().st_size + len(tail)


def main(size_mb: int = 200) -> None:
    """Run the measurement and print the figures."""
    home = Path(tempfile.mkdtemp(prefix="bench-upload-"))
    env = {
        **os.environ, "MARKETPLACE_ENV": "testing", "SECRET_KEY": "bench-secret-key-not-for-production",
        "DATABASE_URL": f"sqlite:///{home / 'bench.db'}", "MARKETPLACE_INSTANCE_DIR": str(home),
        "UPLOAD_DIR": str(home / "uploads"), "SEARCH_INDEX_DIR": str(home / "index"), "SESSION_COOKIE_SECURE": "0",
        "SUBMISSION_MAX_UPLOAD_MB": str(max(250, size_mb + 10)),
    }
    flask = [sys.executable, "-m", "flask", "--app", "marketplace"]
    for step in (("db", "upgrade"), ("seed", "--demo")):
        subprocess.run([*flask, *step], env=env, cwd=ROOT, check=True, capture_output=True)
    print(f"Making a {size_mb} MB MP4 with ffmpeg…", flush=True)
    video = make_video(Path(tempfile.gettempdir()) / f"bench-upload-{size_mb}mb.mp4", size_mb)
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "1", "--timeout", "600",
         "marketplace:create_app()"], env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        worker = _worker(server.pid)
        session = Session(port)
        for _ in range(50):
            try:
                token = session.token("/login")
                break
            except (OSError, AttributeError):
                time.sleep(0.2)
        form = urllib.parse.urlencode({"email": "employee@demo.test", "password": "demo-password", "csrf_token": token})
        session.request("POST", "/login", [form.encode()], {"Content-Type": "application/x-www-form-urlencoded"}, len(form))
        token = session.token("/submit")
        baseline, hwm_before = _kib(worker, "VmRSS"), _kib(worker, "VmHWM")
        fields = {"csrf_token": token, "type": "quick_learn", "title": f"Bench upload {time.time():.0f}",
                  "summary": "A large upload.", "moment_id": "1", "department_id": "1", "kpi_ids": "1",
                  "submit_review": "Submit for review"}
        body, length = _multipart(fields, video, "benchboundary7MA4YWxk")
        samples, done = [], threading.Event()

        def sample() -> None:
            while not done.is_set():
                samples.append(_kib(worker, "VmRSS"))
                time.sleep(0.05)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        started = time.perf_counter()
        status, headers, _ = session.request(
            "POST", "/submit", body, {"Content-Type": "multipart/form-data; boundary=benchboundary7MA4YWxk"}, length)
        elapsed = time.perf_counter() - started
        done.set()
        sampler.join()
        peak_hwm = _kib(worker, "VmHWM")
        stored = sorted((home / "uploads").glob("*.mp4"))
        print(f"Upload of {length / 2**20:.1f} MB: HTTP {status} → {headers.get('Location', '')}")
        print(f"Time (send + spool + ffprobe + remux + poster + commit): {elapsed:.2f} s "
              f"({length / 2**20 / elapsed:.0f} MB/s)")
        print(f"Worker RSS: {baseline / 1024:.1f} MB before, {max(samples) / 1024:.1f} MB peak during "
              f"(sampled every 50 ms); VmHWM {hwm_before / 1024:.1f} MB before, {peak_hwm / 1024:.1f} MB after; "
              f"growth {(max(samples) - baseline) / 1024:.1f} MB")
        print(f"Stored: {[f'{p.stat().st_size / 2**20:.1f} MB' for p in stored]}; "
              f"spool left behind: {list((home / 'uploads' / 'incoming').glob('*'))}")
    finally:
        server.terminate()
        server.wait(timeout=20)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200)
