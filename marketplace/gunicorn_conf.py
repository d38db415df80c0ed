"""gunicorn settings for `make run` and production: `gunicorn -c python:marketplace.gunicorn_conf 'marketplace:create_app()'`.

Threaded workers (gthread): the worker's main thread keeps telling the arbiter it is alive
while request threads read slow uploads, so a 250 MB upload at 2 MB/s (two minutes) is not
killed by the timeout the way a sync worker is after 30 s. The timeout then only catches a
worker that is truly stuck. Every value can be overridden with GUNICORN_* variables or flags.
"""

import gc
import os

worker_class = "gthread"
workers = int(os.environ.get("WORKERS", "2"))
# Each slow upload or download holds one thread. Few threads, because pages are CPU-bound Python:
# threads of one worker take turns on the GIL, and a thread back from a quick SQLite call waits for
# the others' switch interval. On the 2-core bench machine (50,000 items, 8 clients) 2 threads served
# the catalog at ~105 req/s against ~73 with 8, search ~65 against ~41, with less memory per worker
# (a search index reader per thread). Behind nginx (see README) uploads arrive already buffered.
threads = int(os.environ.get("GUNICORN_THREADS", "2"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
# No keep-alive: with it, a client's connection stays with the worker that accepted it, and on
# the 2-worker bench one worker often held most of wrk's connections while the other idled
# (throughput halved at random from one start to the next: search 150 or 66 req/s). Closing
# after each response lets whichever worker is free take the next request; behind nginx (the
# production layout) upstream connections are not kept alive either. The bench with keep-alive
# off: catalog 247-266 req/s, item page 279-282, p99 at 32 clients 230-440 ms (was 400-700).
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "0"))
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
# Behind a reverse proxy on the same machine (see README "Production layout").
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")

# The cyclic garbage collector. A loaded worker tracks some 190,000 objects, and every full
# collection walked them all: 180 ms, a stall for each request in flight. Frozen after start-up,
# they are left out (a full collection then takes a few ms). A page builds thousands of
# short-lived containers that reference counting frees: collecting the young generation every
# 700 allocations ran about once per request and found nothing; every 10,000, a few times per
# hundred requests (about 0.3 ms of CPU per request saved on the bench pages).
gc_young_threshold = int(os.environ.get("GC_YOUNG_THRESHOLD", "10000"))


def post_worker_init(worker) -> None:  # noqa: ANN001 - a gunicorn Worker
    """Once the worker has loaded the app: freeze its objects out of the collector's way, raise the young threshold."""
    gc.set_threshold(gc_young_threshold, *gc.get_threshold()[1:])
    gc.freeze()
