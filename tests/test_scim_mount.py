"""/scim/v2 is mounted without the SCIM libraries, which load on the first SCIM request and serve it."""

from __future__ import annotations

import subprocess
import sys


def test_the_mounted_routes_are_scim2_servers_routes():
    from scim2_flask.extension import METHODS, flask_rule
    from scim2_server.routing import ROUTES

    from marketplace.identity import scim_mount

    assert list(scim_mount.ROUTES) == [(r.name, r.method, flask_rule(r), r.operation.value) for r in ROUTES]
    assert list(METHODS) == scim_mount.FALLBACK_METHODS


def test_a_web_process_starts_without_loading_scim_or_charting_libraries(tmp_path):
    code = (
        "import sys\n"
        "from marketplace import create_app\n"
        f"app = create_app({{'TESTING': True, 'SQLALCHEMY_DATABASE_URI': 'sqlite:///{tmp_path}/x.db',"
        f" 'SEARCH_INDEX_DIR': '{tmp_path}/index', 'UPLOAD_DIR': '{tmp_path}/uploads', 'INSTANCE_DIR': '{tmp_path}'}})\n"
        "print(sorted(m for m in ('scim2_models', 'scim2_server', 'scim2_flask', 'networkx', 'pygal') if m in sys.modules))\n"
    )
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert loaded.splitlines()[-1] == "[]"
