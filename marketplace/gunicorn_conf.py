"""gunicorn settings for `make run` and production: `gunicorn -c python:marketplace.gunicorn_conf 'marketplace:create_app()'`.

Threaded workers (gthread): the worker's main thread keeps telling the arbiter it is alive
while request threads read slow uploads, so a 250 MB upload at 2 MB/s (two minutes) is not
killed by the timeout the way a sync worker is after 30 s. The timeout then only catches a
worker that is truly stuck. Every value can be overridden with GUNICORN_* variables or flags.
"""

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
keepalive = 5
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
# Behind a reverse proxy on the same machine (see README "Production layout").
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
