"""`python -m bench.web`: gunicorn (2 workers) on the demo seed plus 50,000 items, beside a bare
Flask "hello" app under the same settings; wrk at 8 and 32 clients per page.

BENCH_WEB_ITEMS=50000      items added to the demo seed
BENCH_WEB_SECONDS=10       seconds per page and concurrency
BENCH_WEB_CLIENTS=8,32     concurrent clients
BENCH_WEB_HOME=/tmp/x      keep the prepared database and index there between runs (default: a temp dir)
"""

from __future__ import annotations

import html
import http.cookiejar
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ITEMS = int(os.environ.get("BENCH_WEB_ITEMS", "50000"))
SECONDS = int(os.environ.get("BENCH_WEB_SECONDS", "10"))
CLIENTS = [int(c) for c in os.environ.get("BENCH_WEB_CLIENTS", "8,32").split(",") if c.strip()]
WORKERS = 2
AGENT = "marketplace-bench"
PAGES = [
    ("/catalog", "/catalog"),
    ("filtered catalog", "/catalog?moment=apply"),
    ("item page", "/items/{item}"),
    ("search page", "/search?q=expense+claim"),
    ("/spaces", "/spaces"),
]


def environment(home: Path) -> dict[str, str]:
    """What the app reads: production mode on files inside `home`, rate limits off for the bench."""
    return {
        **os.environ, "MARKETPLACE_ENV": "production", "SECRET_KEY": "bench-secret-key-not-for-production-use",
        "DATABASE_URL": f"sqlite:///{home / 'marketplace.db'}", "MARKETPLACE_INSTANCE_DIR": str(home),
        "SEARCH_INDEX_DIR": str(home / "index"), "UPLOAD_DIR": str(home / "uploads"),
        "SESSION_COOKIE_SECURE": "0", "RATELIMIT_ENABLED": "0", "LOG_LEVEL": "WARNING",
    }


def prepare(home: Path) -> None:
    """Migrate, load the demo seed, add the synthetic items and build the search index (once per home)."""
    if (home / "ready").exists():  # a kept home: bring its schema up to date only
        code = "from marketplace import create_app, migrate\nwith create_app().app_context(): migrate.upgrade()"
        subprocess.run([sys.executable, "-c", code], env=environment(home), cwd=ROOT, check=True)
        return
    code = (
        "from marketplace import create_app, migrate, seed\n"
        "from bench.corpus import populate\n"
        "from marketplace.search import admin\n"
        "app = create_app()\n"
        "with app.app_context():\n"
        f"    migrate.upgrade(); seed.load_demo(); populate({ITEMS}); admin.rebuild()\n"
    )
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], env=environment(home), cwd=ROOT, check=True)
    (home / "ready").write_text("ok")
    print(f"[web] demo seed + {ITEMS} items prepared in {time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def gunicorn(app: str, home: Path, log: str):
    """Run gunicorn with the bench's worker count; yield (base URL, master pid)."""
    port = free_port()
    # The production settings (gthread workers, see marketplace/gunicorn_conf.py) with the bench's worker count.
    command = [str(Path(sys.executable).parent / "gunicorn"), "-c", "python:marketplace.gunicorn_conf", "--bind", f"127.0.0.1:{port}",
               "--workers", str(WORKERS), app]
    with open(home / log, "ab") as out:
        process = subprocess.Popen(command, env=environment(home), cwd=ROOT, stdout=out, stderr=out)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait(base, process)
        yield base, process.pid
    finally:
        process.terminate()
        process.wait(timeout=30)


def _wait(base: str, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}")
        try:
            urllib.request.urlopen(base + "/", timeout=2)
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError("gunicorn did not answer within 60 s")


def sign_in(base: str, email: str = "employee@demo.test") -> str:
    """Sign in like a browser; return the Cookie header value."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.addheaders = [("User-Agent", AGENT)]
    page = opener.open(base + "/login").read().decode()
    token = html.unescape(re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1))
    form = urllib.parse.urlencode({"email": email, "password": "demo-password", "csrf_token": token}).encode()
    opener.open(base + "/login", data=form)
    return "; ".join(f"{c.name}={c.value}" for c in jar)


def check_page(base: str, path: str, cookie: str) -> None:
    """Refuse to time a redirect or an error page."""
    request = urllib.request.Request(base + path, headers={"Cookie": cookie, "User-Agent": AGENT})
    with urllib.request.urlopen(request) as response:
        if response.status != 200 or "/login" in response.url:
            raise RuntimeError(f"{path} answered {response.status} at {response.url}")


def wrk(url: str, clients: int, cookie: str = "") -> dict:
    """Run wrk; return req/s, p50 and p99 in ms and the count of errors and non-2xx answers."""
    command = ["wrk", "--latency", "-t", str(min(clients, 2)), "-c", str(clients), "-d", f"{SECONDS}s", "--timeout", "30s",
               "-H", f"User-Agent: {AGENT}", url]
    if cookie:
        command[1:1] = ["-H", f"Cookie: {cookie}"]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", output))
    errors += int(m.group(1)) if (m := re.search(r"Non-2xx or 3xx responses: (\d+)", output)) else 0
    return {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
            # Anchored: the Thread Stats table has "+/- Stdev" percentages like "91.50%" too.
            "p50": _ms(re.search(r"^\s+50%\s+(\S+)", output, re.M).group(1)),
            "p99": _ms(re.search(r"^\s+99%\s+(\S+)", output, re.M).group(1)), "errors": errors}


def _ms(value: str) -> float:
    match = re.match(r"([\d.]+)(us|ms|s|m)$", value)
    if not match:
        return float("nan")
    number, unit = match.groups()
    return float(number) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}[unit]


def worker_rss_mb(master: int) -> list[tuple[float, float, float]]:
    """Resident memory of each gunicorn worker (children of the master): total, anonymous and file-backed MB.

    File-backed pages are mostly the search index's segment files, which Whoosh maps into memory:
    the kernel shares them between workers and can drop them under pressure.
    """
    sizes = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            text = status.read_text()
        except OSError:
            continue
        if re.search(rf"^PPid:\s+{master}$", text, re.M):
            sizes.append(tuple(int(re.search(rf"^{field}:\s+(\d+)", text, re.M).group(1)) / 1024
                               for field in ("VmRSS", "RssAnon", "RssFile")))
    return sorted(sizes)


def run(home: Path) -> None:
    """Prepare, then time hello and every page at each concurrency; print the table."""
    if not shutil.which("wrk"):
        raise SystemExit("wrk is missing: apt-get install wrk (scripts/ensure-bench-tools does it as root)")
    prepare(home)
    results: dict[tuple[str, int], dict] = {}
    with gunicorn("bench.hello:app", home, "hello.log") as (base, _):
        for clients in CLIENTS:
            results[("hello", clients)] = wrk(base + "/", clients)
    with gunicorn("marketplace:create_app()", home, "app.log") as (base, master):
        cookie = sign_in(base)
        item = _item_slug(home)
        for name, path in PAGES:
            path = path.format(item=item)
            check_page(base, path, cookie)
            wrk(base + path, 2, cookie) if SECONDS > 2 else None  # warm both workers' caches
            for clients in CLIENTS:
                results[(name, clients)] = wrk(base + path, clients, cookie)
                print(f"[web] {name} @{clients}: {results[(name, clients)]['rps']:.0f} req/s", file=sys.stderr, flush=True)
        rss = worker_rss_mb(master)
    _print(results, rss, item)


def _item_slug(home: Path) -> str:
    import sqlite3

    with sqlite3.connect(home / "marketplace.db") as connection:
        row = connection.execute("SELECT slug FROM items WHERE status = 'published' AND type = 'checklist' "
                                 "AND slug NOT LIKE 'bench-%' ORDER BY id LIMIT 1").fetchone()
    return row[0]


def _print(results: dict, rss: list[float], item: str) -> None:
    print()
    from marketplace import gunicorn_conf

    threads = gunicorn_conf.threads
    print(f"web: gunicorn, {WORKERS} gthread workers ({threads} threads each), demo seed + {ITEMS} items (SQLite), wrk {SECONDS} s per cell; item page /items/{item}")
    header = f"{'page':<18}" + "".join(f" | {f'@{c}: req/s':>11} {'p50 ms':>7} {'p99 ms':>7} {'% hello':>7} {'err':>4}" for c in CLIENTS)
    print(header)
    print("-" * len(header))
    for name in ["hello"] + [name for name, _ in PAGES]:
        cells = []
        for clients in CLIENTS:
            r, hello = results[(name, clients)], results[("hello", clients)]
            share = 100 * r["rps"] / hello["rps"] if hello["rps"] else 0
            cells.append(f" | {r['rps']:>11.0f} {r['p50']:>7.1f} {r['p99']:>7.1f} {share:>6.1f}% {r['errors']:>4}")
        print(f"{name:<18}" + "".join(cells))
    shown = ", ".join(f"{total:.0f} MB ({anon:.0f} anonymous + {mapped:.0f} file-backed)" for total, anon, mapped in rss)
    print(f"worker RSS after the run: {shown} (target <= 150 MB)")
    print("targets: catalog and filtered catalog >= 150 req/s, item page >= 250, search page >= 150")


def main() -> None:
    """Run in BENCH_WEB_HOME, or in a temp dir removed afterwards."""
    if os.environ.get("BENCH_WEB_HOME"):
        home = Path(os.environ["BENCH_WEB_HOME"])
        home.mkdir(parents=True, exist_ok=True)
        run(home)
        return
    with tempfile.TemporaryDirectory(prefix="bench-web-") as tmp:
        run(Path(tmp))


if __name__ == "__main__":
    main()
