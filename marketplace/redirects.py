"""Redirect targets that stay on this site, and header values a WSGI server will accept.

A `next` parameter is judged after the clean-up a browser applies to a URL before following
it (WHATWG URL parsing): leading and trailing C0 controls and spaces are stripped, tabs and
newlines anywhere are dropped, and a backslash counts as a slash. Anything that could then
name another host, or that holds control characters at all, sends the user home instead.
"""

from __future__ import annotations

import unicodedata
from urllib.parse import quote, unquote, urlsplit

C0_AND_SPACE = "".join(chr(c) for c in range(0x21))
TAB_AND_NEWLINES = str.maketrans("", "", "\t\n\r")
# Characters some parsers or fonts turn into a slash; none belongs in a local path we issue.
SLASH_LOOKALIKES = set("\u2044\u2215\u29f8\u2571\uff0f\u3033\u30fb\u2216\ufe68\uff3c\u29f5\u29f9\u2572")
# Characters kept as they are in a Location header; everything else is percent-encoded.
HEADER_SAFE = "/?#[]@!$&'()*+,;=:%-._~"


def browser_normalise(target: str) -> str:
    """Apply the browser's clean-up: strip C0/space at the ends, drop tab/CR/LF, backslash to slash."""
    return target.strip(C0_AND_SPACE).translate(TAB_AND_NEWLINES).replace("\\", "/")


def _has_control(text: str) -> bool:
    return any(unicodedata.category(ch) in {"Cc", "Cf", "Zl", "Zp"} for ch in text)


def _names_another_site(path: str) -> bool:
    parts = urlsplit(path)
    return bool(parts.scheme or parts.netloc) or not path.startswith("/") or path.startswith("//")


def safe_next(target: str | None) -> str | None:
    """Return a same-site path to redirect to, percent-encoded for a header, or None."""
    if not target or len(target) > 2000:
        return None
    cleaned = browser_normalise(target)
    # Control characters (CR/LF and tabs included) have no place in a link we made: send them home.
    if _has_control(target.strip(" ")) or any(ch in SLASH_LOOKALIKES for ch in cleaned):
        return None
    folded = unicodedata.normalize("NFKC", cleaned)
    # Judge the text as typed, as compatibility-folded and as percent-decoded: a proxy or a
    # careless parser on the way may do either, and no real page needs `//` or `/\` up front.
    for form in {cleaned, folded, browser_normalise(unquote(cleaned)), browser_normalise(unquote(folded))}:
        if _names_another_site(form) or _has_control(form):
            return None
    return header_value(cleaned)


def header_value(location: str) -> str:
    """Percent-encode anything outside printable ASCII so the value is a valid header everywhere."""
    return quote(location, safe=HEADER_SAFE)
