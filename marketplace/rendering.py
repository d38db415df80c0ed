"""User markdown: rendered with Python-Markdown, then sanitized with nh3."""

from __future__ import annotations

from functools import lru_cache

import markdown as md
import nh3
from markupsafe import Markup

ALLOWED_TAGS = {
    "a", "abbr", "blockquote", "br", "code", "del", "em", "h2", "h3", "h4", "h5", "h6", "hr",
    "li", "ol", "p", "pre", "strong", "table", "tbody", "td", "th", "thead", "tr", "ul",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}, "th": {"align"}, "td": {"align"}}


def sanitize(html: str) -> str:
    """Strip everything but a small allowlist of tags, attributes and URL schemes."""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )


def render_markdown(text: str | None) -> Markup:
    """Render markdown to sanitized HTML inside an hx-disable wrapper."""
    return _rendered(text or "")


@lru_cache(maxsize=512)
def _rendered(text: str) -> Markup:
    # A pure function of the text: popular item pages skip Markdown and nh3 (about a third of their time).
    html = md.markdown(text, extensions=["tables", "sane_lists", "fenced_code"])
    # hx-disable stops htmx from processing anything inside user content.
    return Markup('<div class="prose" hx-disable>{}</div>').format(Markup(sanitize(html)))
