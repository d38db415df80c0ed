"""Discussions in search: found by those who may read the space, invisible (no title, snippet or count) to others."""

from __future__ import annotations

from sqlalchemy import text

from marketplace.extensions import db
from marketplace.search import admin, services
from marketplace.spaces import discussions, retros
from marketplace.spaces import services as spaces
from marketplace.spaces.models import Thread
from tests.spaces_fixtures import build_world, space_data

FRAGMENT = {"HX-Request": "true"}


def run(query: str, user, **kwargs) -> services.SearchResults:
    return services.search(services.SearchRequest(text=query, **kwargs), user)


def titles(query: str, user) -> list[str]:
    return [hit.thread.title for hit in run(query, user).threads]


def counts(results: services.SearchResults) -> tuple:
    """Everything numeric a searcher sees: item total, thread total and every facet count."""
    facets = {name: [(v.slug, v.count) for v in values] for name, values in results.facets.items()}
    return results.total, results.thread_total, facets


def ask(space, user, title: str, body: str) -> Thread:
    return discussions.create_thread(space, user, discussions.ThreadData("question", title, body))


def test_member_finds_private_thread_and_outsider_sees_no_trace(as_role, indexed):
    users = indexed.users
    outsider_before = counts(run("expense claim", users["champion"]))
    world = build_world(indexed)
    ask(world.space, users["employee"], "Expense claim for a refund trip", "Zeppelin tickets were rejected.")
    member = run("expense claim", users["employee"])
    assert [h.thread.title for h in member.threads] == ["Expense claim for a refund trip"]
    assert member.thread_total == 1
    assert "Discussion in" not in str(member.threads[0].title)  # the title is the thread's own
    # The thread never distorts the catalog: item total and facet counts are the outsider's too.
    assert counts(member)[0] == outsider_before[0] and counts(member)[2] == outsider_before[2]
    for outsider in ("champion", "curator", "admin"):  # not a member, only invited, admin without membership
        assert counts(run("expense claim", users[outsider])) == outsider_before
        assert run("zeppelin", users[outsider]).threads == []
    page = as_role("employee").get("/search?q=expense+claim").get_data(as_text=True)
    assert "Discussion in Refund rules swarm" in page
    assert f'href="/spaces/{world.space.slug}/threads/' in page
    client = as_role("champion")
    for path in ("/search?q=expense+claim", "/search?q=zeppelin", "/search?q=zeppelin&tab=discussions", "/search?q=refun"):
        for headers in ({}, FRAGMENT):
            body = client.get(path, headers=headers).get_data(as_text=True)
            for secret in ("Zeppelin", "refund trip", "Refund rules swarm", "How do refunds work", "/threads/", "Discussions <span"):
                assert secret not in body, (path, headers, secret)


def test_removing_a_member_hides_threads_at_once(as_role, indexed):
    world = build_world(indexed)
    employee = indexed.users["employee"]
    client = as_role("employee")
    link = f"/spaces/{world.space.slug}/threads/{world.thread.id}"
    assert link in client.get("/search?q=refunds", headers=FRAGMENT).get_data(as_text=True)
    spaces.remove_member(world.space, employee.id)
    assert titles("refunds", employee) == []
    body = client.get("/search?q=refunds", headers=FRAGMENT).get_data(as_text=True)
    assert link not in body and "Refund rules swarm" not in body


def test_open_space_thread_found_by_everyone_and_filters_keep_to_the_catalog(as_role, indexed):
    users = indexed.users
    space = spaces.create_space(space_data(name="Open floor", visibility="open"), users["leader"])
    ask(space, users["leader"], "Walrus onboarding tips", "Bring a bucket.")
    for role in ("employee", "champion", "curator", "leader", "admin"):
        assert titles("walrus", users[role]) == ["Walrus onboarding tips"]
        assert titles("walr", users[role]) == ["Walrus onboarding tips"]  # the title prefix, as you type
    assert titles("bucket", users["employee"]) == ["Walrus onboarding tips"]  # opening post text, whole words
    assert run("walrus", users["employee"], filters={"moment": "solve"}).threads == []  # facets are for items
    page = as_role("champion").get("/search?q=walrus&tab=discussions").get_data(as_text=True)
    assert "Discussion in Open floor" in page and "started by Lee Leader" in page


def test_chatham_house_results_never_name_authors(as_role, indexed):
    users = indexed.users
    space = spaces.create_space(space_data(name="Candid corner", visibility="open", chatham_house=True), users["leader"])
    spaces.join(space, users["employee"])
    thread = ask(space, users["employee"], "Manager feedback loops", "Honest feedback about quotas.")
    discussions.reply(thread, users["leader"], "Quotas feel arbitrary to me too.")
    assert titles("quotas", users["champion"]) == ["Manager feedback loops"]
    assert titles("erin", users["champion"]) == [] and titles("leader", users["champion"]) == []  # names never indexed
    hit = run("quotas", users["champion"]).threads[0]
    assert hit.author is None and "Erin" not in hit.snippet and "Lee" not in hit.snippet
    for role in ("champion", "employee"):  # members too: a result has left the space
        body = as_role(role).get("/search?q=quotas", headers=FRAGMENT).get_data(as_text=True)
        assert "Manager feedback loops" in body
        assert "Erin Employee" not in body and "Lee Leader" not in body and "started by" not in body


def test_index_follows_commits_of_threads_posts_and_spaces_not_rollbacks(indexed):
    users = indexed.users
    world = build_world(indexed)
    employee, champion = users["employee"], users["champion"]
    ghost = Thread(space=world.space, kind="question", title="Ghost platypus", author=employee)
    db.session.add(ghost)
    db.session.flush()
    db.session.rollback()
    assert titles("platypus", employee) == []
    thread = ask(world.space, employee, "Pallet wrapping", "Stretch film tension?")
    reply = discussions.reply(thread, users["leader"], "Use the marmot setting.")
    assert titles("marmot", employee) == ["Pallet wrapping"]
    discussions.edit_post(discussions.opening_post(thread), "Which okapi tension?", title="Okapi wrapping")
    assert titles("stretch", employee) == [] and titles("okapi", employee) == ["Okapi wrapping"]
    discussions.hide_post(reply, users["leader"], "Off topic")
    assert titles("marmot", employee) == []  # hidden text is not searchable
    discussions.unhide_post(reply)
    assert titles("marmot", employee) == ["Okapi wrapping"]
    discussions.delete_post(reply)
    assert titles("marmot", employee) == []
    world.space.visibility = "open"
    db.session.commit()
    assert titles("okapi", champion) == ["Okapi wrapping"]
    spaces.archive(world.space)
    assert titles("okapi", champion) == ["Okapi wrapping"]  # archived spaces stay searchable
    world.space.visibility = "members"
    db.session.commit()
    assert titles("okapi", champion) == [] and titles("okapi", employee) == ["Okapi wrapping"]
    db.session.delete(thread)
    db.session.commit()
    assert titles("okapi", employee) == []
    assert admin.check().clean


def test_private_words_never_reach_did_you_mean(indexed):
    world = build_world(indexed)
    ask(world.space, indexed.users["employee"], "Quixotic zanzibar review", "Zanzibar numbers.")
    assert run("zanzibaz ", indexed.users["champion"]).suggestion is None
    assert run("zanzib", indexed.users["champion"]).suggestion is None


def test_reindex_and_check_include_threads(app, indexed):
    world = build_world(indexed)
    employee = indexed.users["employee"]
    runner = app.test_cli_runner()
    result = runner.invoke(args=["search", "reindex"])
    assert result.exit_code == 0 and "discussion threads" in result.output
    assert "How do refunds work?" in titles("refunds", employee)
    assert runner.invoke(args=["search", "check"]).exit_code == 0
    # Drift behind the ORM's back: an edited post and a vanished thread.
    db.session.execute(text("UPDATE space_posts SET body = 'Narwhal form' WHERE id = :id"), {"id": world.answer.id})
    retro_id, thread_id = retros.retros(world.space)[0].id, world.thread.id
    db.session.execute(text("DELETE FROM space_threads WHERE id = :id"), {"id": retro_id})
    db.session.commit()
    result = runner.invoke(args=["search", "check"])
    assert result.exit_code == 1
    assert f"thread:{thread_id}" in result.output and f"thread:{retro_id}" in result.output
    assert runner.invoke(args=["search", "check", "--fix"]).exit_code == 0
    assert runner.invoke(args=["search", "check"]).exit_code == 0
    assert titles("narwhal", employee) == ["How do refunds work?"]


def test_a_thread_snippet_quotes_readable_posts_and_reads_a_bounded_number(app, indexed):
    from marketplace.search import discussions as search_discussions
    from tests.sql_counter import statements

    users = indexed.users
    space = spaces.create_space(space_data(name="Dock talk", visibility="open"), users["leader"])
    spaces.join(space, users["employee"])
    thread = ask(space, users["employee"], "Loading bay queues", "Trucks wait too long at the bay.")
    hidden = discussions.reply(thread, users["leader"], "The gondola schedule is secret.")
    discussions.hide_post(hidden, users["leader"], "Off topic")
    removed = discussions.reply(thread, users["employee"], "Ask about the gondola timetable.")
    discussions.delete_post(removed)
    for number in range(search_discussions.SNIPPET_POSTS + 5):
        discussions.reply(thread, users["leader"], f"Reply {number} about trucks.")
    discussions.reply(thread, users["employee"], "Past the window: a hovercraft rota.")
    discussions.reply(thread, users["employee"], "Fix: a booking slot per carrier.")
    db.session.commit()
    admin.rebuild()
    quoted = run("bay", users["champion"]).threads[0].snippet
    assert "<mark>bay</mark>" in str(quoted) and "Trucks wait" in str(quoted)
    assert run("gondola", users["champion"]).threads == []  # hidden and removed posts are not findable either
    late = run("hovercraft", users["champion"]).threads[0]  # found through the index, quoted from the opening
    assert late.thread.title == "Loading bay queues" and "Trucks wait too long" in str(late.snippet)
    sources = search_discussions.snippet_sources([thread.id])[thread.id]
    assert len(sources) == search_discussions.SNIPPET_POSTS and sources[0] == "Trucks wait too long at the bay."
    assert "gondola" not in " ".join(sources)
    with statements(app) as seen:
        run("trucks", users["champion"])
    assert not [s for s in seen if "space_posts" in s and "row_number" not in s.lower()]  # posts only through the bounded read
