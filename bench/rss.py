"""`python -m bench.rss HOME QUERIES`: one fresh process opens the index, searches, reports its memory."""

from __future__ import annotations

import sys
from pathlib import Path


def _status(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field):
            return int(line.split()[1]) // 1024
    return 0


def main(home: Path, queries: Path) -> None:
    """Search every line of `queries` in the app built under `home`, then print RSS."""
    from sqlalchemy import select

    from bench.__main__ import _app
    from marketplace.accounts.models import User
    from marketplace.extensions import db
    from marketplace.search import services

    app = _app(home)
    with app.test_request_context():
        user = db.session.scalar(select(User))
        for text in queries.read_text().splitlines():
            services.search(services.SearchRequest(text=text), user)
    print(f"RSS {_status('VmRSS:')} MB (peak {_status('VmHWM:')} MB; private {_status('RssAnon:')} MB, "
          f"file pages {_status('RssFile:')} MB) with the index open after {len(queries.read_text().splitlines())} searches")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
