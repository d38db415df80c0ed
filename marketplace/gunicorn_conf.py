"""gunicorn settings for `make run` and production: `gunicorn -c python:marketplace.gunicorn_conf 'marketplace:create_app()'`.

Threaded workers (gthread): the worker's main thread keeps telling the arbiter it is alive
while request threads read slow uploads, so a 250 MB upload at 2 MB/s (two minutes) is not
killed by the timeout the way a sync worker is after 30 s. The timeout then only catches a
worker that is truly stuck. Every value can be overridden with GUNICORN_* variables or flags.
"""

import os

worker_class = "gthread"
workers = int(os.environ.get("WORKERS", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "8"))  # each slow upload or download holds one thread
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
keepalive = 5
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
# Behind a reverse proxy on the same machine (see README "Production layout").
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
