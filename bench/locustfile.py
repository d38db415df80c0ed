"""`make loadtest`: a documented mix of what people do, run by locust against a running server.

Mix per simulated person (weights): browse 10 (home, catalog, a filtered catalog, an item page),
search 5, tick a checklist step 2, vote "helpful" 2, post a reply in a space 1, submit a draft 1.
Each person signs in as one of the demo accounts (password demo-password) and waits 1-3 s between
actions. Run the server with RATELIMIT_ENABLED=0, or the rate limits answer part of the mix with 429.
"""

from __future__ import annotations

import html
import random
import re

from locust import HttpUser, between, events, task

ACCOUNTS = ["employee@demo.test", "champion@demo.test", "curator@demo.test", "leader@demo.test", "admin@demo.test"]
SEARCHES = ["expense claim", "expense", "first week", "printer", "refund", "onboarding", "pricing", "call"]
TOKEN = re.compile(r'X-CSRFToken&#34;: &#34;([^&]+)&#34;|name="csrf_token" type="hidden" value="([^"]+)"')


def _token(page: str) -> str | None:
    match = TOKEN.search(page)
    return html.unescape(match.group(1) or match.group(2)) if match else None


class Person(HttpUser):
    """One signed-in person at work: mostly reading, sometimes writing."""

    wait_time = between(1, 3)

    def on_start(self) -> None:
        login = self.client.get("/login", name="/login")
        form = {"email": random.choice(ACCOUNTS), "password": "demo-password", "csrf_token": _token(login.text) or ""}
        self.client.post("/login", data=form, name="/login [POST]")
        catalog = self.client.get("/catalog", name="/catalog").text
        self.token = _token(catalog) or ""
        self.items = sorted(set(re.findall(r'href="/items/([a-z0-9-]+)"', catalog))) or ["expense-claim-rejected"]
        checklists = self.client.get("/catalog?type=checklist", name="/catalog?type=…").text
        self.checklists = sorted(set(re.findall(r'href="/items/([a-z0-9-]+)"', checklists)))
        self.threads = self._threads()

    def _threads(self) -> list[str]:
        """Threads this person may reply in (a member of the space): their page has a reply form."""
        spaces = self.client.get("/spaces", name="/spaces").text
        for slug in sorted(set(re.findall(r'href="/spaces/([a-z0-9-]+)"', spaces))):
            page = self.client.get(f"/spaces/{slug}", name="/spaces/[slug]")
            for thread in sorted(set(re.findall(rf'href="(/spaces/{slug}/threads/\d+)"', page.text)))[:3]:
                if f'{thread}/replies"' in self.client.get(thread, name="/spaces/[slug]/threads/[id]").text:
                    return [thread]
        return []

    def _post(self, path: str, data: dict, name: str):
        return self.client.post(path, data=data, headers={"X-CSRFToken": self.token}, name=name)

    @task(10)
    def browse(self) -> None:
        self.client.get("/", name="/")
        self.client.get("/catalog", name="/catalog")
        moment = random.choice(["new", "more", "apply", "change", "solve"])
        self.client.get(f"/catalog?moment={moment}", name="/catalog?moment=…")
        self.client.get(f"/items/{random.choice(self.items)}", name="/items/[slug]")

    @task(5)
    def search(self) -> None:
        self.client.get(f"/search?q={random.choice(SEARCHES)}", name="/search?q=…")

    @task(2)
    def tick(self) -> None:
        if not self.checklists:
            return
        slug = random.choice(self.checklists)
        page = self.client.get(f"/items/{slug}", name="/items/[slug]").text
        steps = re.findall(rf'action="/items/{slug}/steps/(\d+)"', page)
        if steps:
            self._post(f"/items/{slug}/steps/{random.choice(steps)}", {"checked": random.choice("01")}, "/items/[slug]/steps/[id] [POST]")

    @task(2)
    def vote(self) -> None:
        slug = random.choice(self.items)
        self._post(f"/items/{slug}/helpful", {"answer": random.choice(["yes", "no"])}, "/items/[slug]/helpful [POST]")

    @task(1)
    def post(self) -> None:
        if self.threads:
            thread = random.choice(self.threads)
            self._post(f"{thread}/replies", {"body": "Tried this today; step 2 saved me a call."}, "/spaces/[slug]/threads/[id]/replies [POST]")

    @task(1)
    def submit(self) -> None:
        page = self.client.get("/submit", name="/submit").text
        choices = {name: re.search(rf'name="{name}"[^>]*>\s*(?:<option[^>]*value=""[^>]*>[^<]*</option>\s*)?<option[^>]*value="(\d+)"', page, re.S)
                   for name in ("moment_id", "department_id", "kpi_ids")}
        if not all(choices.values()):
            return
        data = {"type": "job_aid", "title": "Load test draft", "summary": "A draft from the load test.",
                "body": "1. Open the form.\n2. Fill it in.", **{k: m.group(1) for k, m in choices.items()}, "save_draft": "Save draft"}
        self._post("/submit", data, "/submit [POST]")


@events.quitting.add_listener
def summary(environment, **_kwargs) -> None:
    """Print requests/s, p50/p95 and errors, overall and per request."""
    stats = environment.stats
    print("\nload test summary (all requests, then each)")
    print(f"{'request':<46} {'count':>7} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'errors':>7}")
    for entry in [stats.total, *sorted(stats.entries.values(), key=lambda e: -e.num_requests)]:
        name = "ALL" if entry is stats.total else f"{entry.method} {entry.name}"
        print(f"{name[:46]:<46} {entry.num_requests:>7} {entry.total_rps:>7.1f} {entry.get_response_time_percentile(0.5):>7.0f} "
              f"{entry.get_response_time_percentile(0.95):>7.0f} {entry.num_failures:>7}")
