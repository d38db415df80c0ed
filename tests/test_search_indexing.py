"""The index follows committed changes only; searchers are reused; reindex, check and ensure."""

from __future__ import annotations

import pytest

from marketplace.extensions import db
from marketplace.search import admin, services
from marketplace.search.hooks import index_for
from tests import factories


def found(text: str, user) -> list[str]:
    return [hit.item.slug for hit in services.search(services.SearchRequest(text=text), user).hits]


def test_create_edit_publish_retire_delete_follow_commits(indexed):
    user = indexed.users["employee"]
    item = factories.item("pallet-wrap", "apply", status="draft", title="Pallet wrapping", body="Wrap it.", summary="Tight.")
    db.session.commit()
    assert found("pallet", user) == []  # drafts are never indexed
    item.status = "published"
    db.session.commit()
    assert found("pallet", user) == ["pallet-wrap"]
    item.title = "Stretch film technique"
    db.session.commit()
    assert found("pallet", user) == [] and found("stretch film", user) == ["pallet-wrap"]
    item.status = "retired"
    db.session.commit()
    assert found("stretch", user) == []
    item.status = "published"
    db.session.commit()
    db.session.delete(item)
    db.session.commit()
    assert found("stretch", user) == []


def test_rolled_back_write_never_reaches_the_index(indexed):
    user = indexed.users["employee"]
    factories.item("ghost-item", "apply", title="Ghost procedure")
    db.session.flush()  # the row exists inside the transaction...
    db.session.rollback()  # ...and is gone
    indexed.job_aid.title = "Rolled back title"
    db.session.flush()
    db.session.rollback()
    assert found("ghost", user) == []
    assert found("rolled", user) == []
    assert found("expense claim rejected", user) == ["expense-claim-rejected"]
    assert admin.check().clean


def test_checklist_steps_and_kpi_renames_are_reindexed(indexed):
    user = indexed.users["employee"]
    indexed.checklist.steps[0].text = "Shadow a quokka wrangler"
    db.session.commit()
    assert found("quokka", user) == ["first-week-checklist"]
    indexed.kpi2.name = "Wombat resolution"
    db.session.commit()
    assert found("wombat", user) == ["demo-quick-learn"]


def test_searcher_is_reused_and_refreshed(app, search_index, indexed):
    user = indexed.users["employee"]
    first = search_index.searcher()
    assert search_index.searcher() is first  # nothing changed: the same searcher
    factories.item("refresh-me", "apply", title="Refresh marmot")
    db.session.commit()
    assert found("marmot", user) == ["refresh-me"]
    assert search_index.searcher() is not first


def test_reindex_swaps_generation_atomically_and_check_reports_drift(app, search_index, indexed):
    runner = app.test_cli_runner()
    before = search_index.current_name()
    result = runner.invoke(args=["search", "reindex"])
    assert result.exit_code == 0, result.output
    assert "Search index rebuilt" in result.output
    after = search_index.current_name()
    assert after != before and (search_index.root / after).is_dir()
    assert runner.invoke(args=["search", "check"]).exit_code == 0
    # Drift: change a row behind the ORM's back, so no hook sees it.
    db.session.execute(db.text("UPDATE items SET status = 'retired' WHERE slug = 'expense-claim-rejected'"))
    db.session.execute(db.text("UPDATE items SET version = 7 WHERE slug = 'first-week-checklist'"))
    db.session.commit()
    result = runner.invoke(args=["search", "check"])
    assert result.exit_code == 1
    assert "1 in the index but not published" in result.output
    assert "1 indexed from an older version" in result.output
    assert runner.invoke(args=["search", "check", "--fix"]).exit_code == 0
    assert runner.invoke(args=["search", "check"]).exit_code == 0


def test_rebuild_catches_up_on_writes_made_during_it(app, search_index, indexed):
    user = indexed.users["employee"]
    from datetime import date

    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from marketplace.catalog.models import Item, Moment
    from marketplace.search import documents
    from marketplace.timeutil import utcnow

    def batches():
        # A rebuild source runs in a forked build process: it opens its own connections, as admin's sources do.
        db.engine.dispose(close=False)
        with Session(db.engine) as session:
            yield from documents.all_batches(session)
        # Another worker commits while the rebuild is still writing the new generation.
        with db.session.session_factory() as other:
            moment = other.scalars(select(Moment).filter_by(slug="apply")).one()
            other.add(Item(slug="during-rebuild", type="job_aid", status="published", moment=moment, title="Capybara handling",
                           summary="Handled.", body="Gently.", published_at=utcnow(), review_by=date(2030, 1, 1)))
            other.commit()

    with Session(db.engine) as catch_up:
        index_for(app).rebuild([batches], reload=lambda ids: documents.documents_for(catch_up, ids))
    assert found("capybara", user) == ["during-rebuild"]
    assert admin.check().clean


def test_ensure_builds_a_missing_index(app, search_index, indexed):
    (search_index.root / "current").unlink()
    assert not search_index.exists()
    result = app.test_cli_runner().invoke(args=["search", "ensure"])
    assert "built" in result.output
    assert search_index.exists()
    assert "present" in app.test_cli_runner().invoke(args=["search", "ensure"]).output


def test_parallel_rebuild_finds_the_same_as_one_process(app, search_index, indexed):
    user = indexed.users["employee"]
    for n in range(230):  # enough for three parts of at least 100 items... and a remainder
        factories.item(f"bulk-{n}", "apply", title=f"Forklift drill {n}", summary="Pallet safety walk-through.")
    db.session.commit()
    queries = ["forklift", "pallet saf", "drill 17 ", "drill 2", "expense"]
    admin.rebuild(procs=1)
    single = {q: services.search(services.SearchRequest(text=q, limit=50), user) for q in queries}
    name = admin.rebuild(procs=3)
    parallel = {q: services.search(services.SearchRequest(text=q, limit=50), user) for q in queries}
    assert len(search_index.searcher().reader().leaf_readers()) == 2  # one segment per process
    for query in queries:
        assert parallel[query].total == single[query].total
        if single[query].total <= 50:  # all on the page (equal scores may tie-break in another order)
            assert {h.item.slug for h in parallel[query].hits} == {h.item.slug for h in single[query].hits}
    assert [h.item.slug for h in parallel["drill 17 "].hits] == ["bulk-17"]
    assert single["drill 2"].total == 41  # 2, 20-29 and 200-229: the last word is a prefix
    assert single["forklift"].total == 230 and admin.check().clean
    assert not (search_index.root / name / "MAIN.tmp").exists()  # the children's scratch space is gone


def test_a_failing_build_process_fails_the_rebuild_and_keeps_the_old_index(app, search_index, indexed):
    before = search_index.current_name()
    generations = sorted(p.name for p in search_index.root.glob("gen-*"))

    def broken():
        yield [("1", {"no_such_field": "x"})]

    with pytest.raises(RuntimeError, match="failed"):
        search_index.rebuild([broken, broken], reload=lambda keys: {})
    assert search_index.current_name() == before
    assert sorted(p.name for p in search_index.root.glob("gen-*")) == generations  # the half-built one is gone


def _orm_document(item) -> dict | None:
    """The index document as read through the ORM relationships: the oracle for the row-based reader."""
    if item.status != "published":
        return None
    from marketplace.catalog.models import ITEM_TYPES

    steps = "\n".join(f"{step.text} {step.detail}" for step in item.steps)
    tags = [item.moment.name, item.moment.shelf_title, ITEM_TYPES.get(item.type, item.type)]
    tags += [kpi.name for kpi in item.kpis] + [skill.name for skill in item.skills] + ([item.department.name] if item.department else [])
    tag_text = " ".join(tags)
    return {
        "id": str(item.id), "stamp": f"{item.version}:{item.updated_at.isoformat()}", "kind": "item",
        "moment": item.moment.slug, "type": item.type, "department": item.department.slug if item.department else "",
        "kpi": ",".join(kpi.slug for kpi in item.kpis), "skill": ",".join(skill.slug for skill in item.skills),
        "title": item.title, "summary": item.summary, "tags": tag_text, "body": f"{item.body}\n{steps}\n{item.transcript}",
        "title_prefix": item.title, "summary_prefix": f"{item.summary} {tag_text}", "spell": f"{item.title} {item.summary} {tag_text} {steps}",
    }


def test_documents_read_as_rows_equal_the_items_relationships(indexed):
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from marketplace.accounts.models import Department
    from marketplace.catalog.models import KPI, Item, Skill
    from marketplace.search.documents import BATCH, documents_for, item_batches

    factories.item("draft-one", "apply", status="draft", title="Draft")
    full = indexed.checklist
    full.kpis = list(db.session.scalars(select(KPI).order_by(KPI.name.desc())))
    full.skills = [Skill(name="Zeta skill", slug="zeta"), Skill(name="Alpha skill", slug="alpha")]
    full.department = db.session.scalars(select(Department)).first()
    db.session.commit()
    db.session.expire_all()  # relationships reload in their declared order
    items = list(db.session.scalars(select(Item)))
    assert any(item.kpis and item.skills and item.steps and item.department for item in items)  # every part is exercised
    expected = {item.id: _orm_document(item) for item in items}
    assert None in expected.values()
    with Session(db.engine) as session:
        assert documents_for(session, set(expected) | {999_999}) == {**expected, 999_999: None}
        batches = list(item_batches(session, sorted(expected)))
    assert [pair for batch in batches for pair in batch] == sorted(expected.items())
    assert all(len(batch) <= BATCH for batch in batches)
