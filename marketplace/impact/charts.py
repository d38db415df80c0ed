"""Server-rendered SVG charts with pygal, made CSP-safe: no script, no style element, no style attribute.

pygal's own CSS lives in static/impact.css (rewritten from the chart id to the .pygal-chart class),
so the charts print and pass `style-src 'self'`. Every chart has a data table next to it.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from functools import cache
from types import ModuleType

from markupsafe import Markup

SVG = "{http://www.w3.org/2000/svg}"
ET.register_namespace("", "http://www.w3.org/2000/svg")
ET.register_namespace("xlink", "http://www.w3.org/1999/xlink")


def _clean(tree: ET.Element, label: str) -> Markup:
    """Drop scripts, style elements and style attributes; label the figure for assistive technology."""
    for parent in tree.iter():
        for child in list(parent):
            if child.tag in (f"{SVG}script", "script", f"{SVG}style", "style"):
                parent.remove(child)
        parent.attrib.pop("style", None)
    tree.set("role", "img")
    tree.set("aria-label", label)
    tree.attrib.pop("id", None)
    text = ET.tostring(tree, encoding="unicode")
    return Markup(text.replace("<!--", "<!-- ").replace("-->", " -->"))


@cache
def _pygal() -> tuple[ModuleType, object]:
    """pygal and our style, loaded on the first chart: only impact pages draw, and pygal is 5 MB per worker."""
    import pygal
    from pygal.etree import etree as pygal_etree
    from pygal.style import Style

    # pygal builds lxml trees whenever lxml is installed (another package may bring it); our
    # cleaning works on the standard library's trees, so tell pygal to use those.
    pygal_etree.to_etree()
    return pygal, Style(
        background="transparent", plot_background="#ffffff", foreground="#1f2933", foreground_strong="#111827",
        foreground_subtle="#52606d", colors=("#1d4ed8", "#b45309", "#047857", "#9d174d", "#6d28d9", "#374151"),
        font_family="system-ui, sans-serif", label_font_size=12, major_label_font_size=12, legend_font_size=13,
    )


def _config(**options) -> dict:  # noqa: ANN003
    return {"js": [], "disable_xml_declaration": True, "style": _pygal()[1], "show_dots": False, "margin": 8,
            "truncate_legend": 40, "explicit_size": False, **options}


def line_chart(label: str, x_labels: Sequence[str], series: Sequence[tuple[str, Sequence[float | None]]],
               *, major_every: int = 13, height: int = 320, dots: set[str] | None = None) -> Markup:
    """A line chart (trend, adoption) with sparse major x labels."""
    chart = _pygal()[0].Line(**_config(height=height, width=820, x_label_rotation=0, show_minor_x_labels=False,
                                 legend_at_bottom=True, legend_at_bottom_columns=3, allow_interruptions=True))
    chart.x_labels = list(x_labels)
    chart.x_labels_major = list(x_labels)[::max(1, major_every)]
    for name, values in series:
        chart.add(name, list(values), show_dots=bool(dots and name in dots), dots_size=5, stroke=not (dots and name in dots))
    return _clean(chart.render_tree(), label)


def bar_chart(label: str, x_labels: Sequence[str], series: Sequence[tuple[str, Sequence[float | None]]], *, height: int = 260) -> Markup:
    """A bar chart (group comparisons)."""
    chart = _pygal()[0].Bar(**_config(height=height, width=820, legend_at_bottom=True))
    chart.x_labels = list(x_labels)
    for name, values in series:
        chart.add(name, list(values))
    return _clean(chart.render_tree(), label)


def sparkline(label: str, values: Sequence[float | None]) -> Markup:
    """A tiny trend for a scorecard row."""
    chart = _pygal()[0].Line(**_config(width=160, height=36, show_legend=False, show_x_labels=False, show_y_labels=False,
                                 margin=2, spacing=0, show_y_guides=False, show_x_guides=False, allow_interruptions=True))
    chart.add("", list(values) or [None])
    tree = chart.render_tree()
    return _clean(tree, label)


def stylesheet() -> str:
    """pygal's CSS for our style, with the per-chart id replaced by the .pygal-chart class (for static/impact.css)."""
    import re

    chart = _pygal()[0].Line(**{**_config(), "js": []})
    chart.add("a", [1, 2])
    text = chart.render(is_unicode=True)
    css = "\n".join(re.findall(r"<style[^>]*>(.*?)</style>", text, re.S))
    return re.sub(r"#chart-[0-9a-f-]+", ".pygal-chart", css)
