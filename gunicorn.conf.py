"""gunicorn settings, read from the working directory by `make run` and production starts.

gunicorn has no setting for its `Server:` header, so the default header list is trimmed here:
a product banner tells an attacker which bugs to try, and nothing needs it.
"""

from gunicorn.http import wsgi


def _without_server_banner(default_headers):
    def headers(self):
        return [line for line in default_headers(self) if not line.lower().startswith("server:")]

    return headers


wsgi.Response.default_headers = _without_server_banner(wsgi.Response.default_headers)
