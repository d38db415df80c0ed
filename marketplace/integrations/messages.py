"""Render what we post: Slack Block Kit messages and Teams Adaptive Cards, each linking back to us."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import current_app


@dataclass
class Card:
    """A channel-neutral message: a heading, lines of context and links back to the marketplace."""

    heading: str
    lines: list[str] = field(default_factory=list)
    links: list[tuple[str, str]] = field(default_factory=list)  # (title, absolute url)

    def text(self) -> str:
        """Plain text: the fallback every chat client shows in notifications."""
        parts = [self.heading, *self.lines, *(f"{title}: {url}" for title, url in self.links)]
        return "\n".join(parts)


def absolute(path: str) -> str:
    """An absolute link to a page of ours (PUBLIC_BASE_URL + path)."""
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + path


def _slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_payload(card: Card) -> dict:
    """A Slack message: a text fallback plus sections, with each link as `<url|title>`."""
    blocks: list[dict] = [{"type": "section", "text": {"type": "mrkdwn", "text": f"*{_slack_escape(card.heading)}*"}}]
    if card.lines:
        blocks.append({"type": "context", "elements": [
            {"type": "mrkdwn", "text": _slack_escape(line)} for line in card.lines[:10]
        ]})
    for title, url in card.links[:10]:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": f"<{url}|{_slack_escape(title)}>"}})
    return {"text": card.text()[:3000], "blocks": blocks}


def teams_payload(card: Card) -> dict:
    """A Teams workflow webhook message carrying one Adaptive Card (version 1.4)."""
    body: list[dict] = [{"type": "TextBlock", "text": card.heading, "weight": "Bolder", "wrap": True, "size": "Medium"}]
    body += [{"type": "TextBlock", "text": line, "wrap": True, "isSubtle": True, "spacing": "Small"} for line in card.lines]
    content = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": body,
        "actions": [{"type": "Action.OpenUrl", "title": title[:60], "url": url} for title, url in card.links[:5]],
    }
    return {
        "type": "message",
        "attachments": [{"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None, "content": content}],
    }


def item_lines(item) -> list[str]:  # noqa: ANN001 - a catalog Item
    """The moment of need and KPIs of an item, as people read them."""
    kpis = ", ".join(k.name for k in item.kpis) or "no KPI"
    return [f"Moment of need: {item.moment.name}", f"KPI: {kpis}"]
