"""Local stand-ins for Slack, Teams and Slack's Web API: real HTTP servers on loopback.

They check each payload against the shape the public schemas require (Slack Block Kit
message, Teams message with an Adaptive Card attachment) and can be told to be down or
to answer 429 with Retry-After, to exercise delivery.
"""

from __future__ import annotations

import json
import threading
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SLACK_BLOCK_TYPES = {"section", "context", "divider", "header", "actions"}


def slack_problems(body: dict) -> list[str]:
    """What makes `body` an invalid Slack message (Block Kit)."""
    problems = []
    if not isinstance(body.get("text"), str) or not body["text"]:
        problems.append("text fallback missing")
    blocks = body.get("blocks", [])
    if not isinstance(blocks, list) or len(blocks) > 50:
        problems.append("blocks must be a list of at most 50")
    for block in blocks:
        if block.get("type") not in SLACK_BLOCK_TYPES:
            problems.append(f"unknown block type {block.get('type')!r}")
        text = block.get("text")
        if text is not None and (text.get("type") not in {"mrkdwn", "plain_text"} or len(text.get("text", "")) > 3000):
            problems.append("section text must be mrkdwn/plain_text of at most 3000 characters")
        for element in block.get("elements", []) if block.get("type") == "context" else []:
            if element.get("type") not in {"mrkdwn", "plain_text", "image"}:
                problems.append("bad context element")
    return problems


def teams_problems(body: dict) -> list[str]:
    """What makes `body` an invalid Teams workflow message with an Adaptive Card."""
    problems = []
    if body.get("type") != "message":
        problems.append("type must be message")
    attachments = body.get("attachments") or []
    if len(attachments) != 1 or attachments[0].get("contentType") != "application/vnd.microsoft.card.adaptive":
        problems.append("one adaptive card attachment expected")
        return problems
    card = attachments[0].get("content", {})
    if card.get("type") != "AdaptiveCard" or not str(card.get("version", "")).startswith("1."):
        problems.append("content must be an AdaptiveCard 1.x")
    for element in card.get("body", []):
        if element.get("type") != "TextBlock" or not isinstance(element.get("text"), str):
            problems.append("body elements must be TextBlocks with text")
    for action in card.get("actions", []):
        if action.get("type") != "Action.OpenUrl" or not str(action.get("url", "")).startswith("http"):
            problems.append("actions must be Action.OpenUrl with an absolute url")
    return problems


class Receiver:
    """A loopback HTTP server that records what it receives and answers as scripted."""

    def __init__(self) -> None:
        self.received: list[dict] = []
        self.problems: list[str] = []
        self.script: deque[tuple[int, dict]] = deque()  # (status, headers) answers to give first
        self.down = False
        self.slack_users = {"ana@demo.test": "U0ANA"}
        self.thread: list[dict] = []  # what conversations.replies answers
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # noqa: ANN002 - quiet
                pass

            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                if self.path.startswith("/api/users.lookupByEmail"):
                    email = self.path.split("email=", 1)[-1].replace("%40", "@")
                    user = receiver.slack_users.get(email)
                    self._json(200, {"ok": True, "user": {"id": user}} if user else {"ok": False, "error": "users_not_found"})
                elif self.path.startswith("/api/conversations.replies"):
                    self._json(200, {"ok": True, "messages": receiver.thread})
                else:
                    self._json(404, {})

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length", 0))
                body = json.loads(self.rfile.read(length) or b"{}")
                if receiver.down:
                    return self._json(503, {"error": "down"})
                if receiver.script:
                    status, headers = receiver.script.popleft()
                    return self._json(status, {"error": "scripted"}, headers)
                kind = self.path.strip("/").split("/")[0]
                check = teams_problems if kind == "teams" else slack_problems
                receiver.problems += [f"{self.path}: {p}" for p in check(body)]
                receiver.received.append({"path": self.path, "body": body, "auth": self.headers.get("Authorization")})
                if kind == "api":
                    return self._json(200, {"ok": True, "channel": body.get("channel")})
                self._json(200, {"ok": True})

            def _json(self, status: int, body: dict, headers: dict | None = None) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> Receiver:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def bodies(self, prefix: str) -> list[dict]:
        """Bodies received on paths starting with `prefix`."""
        return [r["body"] for r in self.received if r["path"].startswith(prefix)]
