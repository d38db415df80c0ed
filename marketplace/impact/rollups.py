"""Fold learning events into rollup tables by following the change feed (no page ever scans events).

Each batch writes its rollup rows, the applied change ids and the consumer's position in ONE
transaction, so a crash loses nothing and a re-delivered change (the reader re-checks gaps) is skipped.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import date, datetime, timedelta

from sqlalchemy import bindparam, delete, insert, select, tuple_, update

from marketplace import changes
from marketplace.changes.models import Change, FeedCursor
from marketplace.events.models import LearningEvent, Verb
from marketplace.extensions import db
from marketplace.impact.rollup_models import (
    AppliedChange,
    Flow,
    KpiCounter,
    SkillAnswer,
    UsagePersonWeek,
    UsageWeek,
    VoteState,
)

CONSUMER = "impact.rollups"
TOPIC = "learning_event"
USAGE_VERBS = {Verb.OPENED, Verb.COMPLETED, Verb.PLAYED, Verb.VOTED_HELPFUL}
FLOW_KINDS = {Verb.ANSWERED: "answered", Verb.ANSWER_ACCEPTED: "accepted", Verb.ENDORSED: "endorsed"}


def week_of(moment: datetime | date) -> date:
    """The Monday that starts the week of `moment`."""
    day = moment.date() if isinstance(moment, datetime) else moment
    return day - timedelta(days=day.weekday())


def refresh(batch: int = 2000) -> int:
    """Apply every learning event not yet rolled up; return how many changes were applied."""
    session = db.session
    cursor = session.get(FeedCursor, CONSUMER)
    reader = changes.FeedReader(cursor.position if cursor else 0)

    def apply(rows: list[Change]) -> None:
        _apply(rows)
        top = max(reader.position, rows[-1].id)
        safe = min(reader.gaps) - 1 if reader.gaps else top
        changes.report_position(session, CONSUMER, min(safe, top))
        session.execute(delete(AppliedChange.__table__).where(AppliedChange.__table__.c.change_id <= min(safe, top)))
        session.commit()  # rollups, applied ids and position together

    applied = reader.poll(session, apply, topics=[TOPIC], batch=batch)
    changes.report_position(session, CONSUMER, reader.safe_position)
    session.commit()
    return applied


def _fresh(rows: list[Change]) -> list[Change]:
    ids = [c.id for c in rows]
    table = AppliedChange.__table__
    done = set(db.session.scalars(select(table.c.change_id).where(table.c.change_id.in_(ids))))
    fresh = [c for c in rows if c.id not in done]
    if fresh:
        db.session.execute(insert(AppliedChange.__table__), [{"change_id": c.id} for c in fresh])
    return fresh


def _apply(rows: list[Change]) -> None:
    fresh = _fresh(rows)
    if not fresh:
        return
    ids = [int(c.entity_id) for c in fresh]
    # Core rows, not ORM objects: nothing piles up in the identity map during a big catch-up.
    table = LearningEvent.__table__
    events = list(db.session.execute(select(table).where(table.c.id.in_(ids)).order_by(table.c.id)))
    _usage([e for e in events if e.verb in USAGE_VERBS])
    _votes([e for e in events if e.verb == Verb.VOTED_HELPFUL])
    _followups([e for e in events if e.verb == Verb.ANSWERED_FOLLOWUP])
    _flows([e for e in events if e.verb in FLOW_KINDS])
    _skills([e for e in events if e.verb == Verb.ANSWERED])


def _kpi_ids(event) -> list[int]:  # noqa: ANN001 - a learning_events row
    return [int(k) for k in (event.context or {}).get("kpi_ids") or []]


def _usage(events: list[LearningEvent]) -> None:
    wanted = {}
    counts: Counter = Counter()
    for event in events:
        for kpi_id in _kpi_ids(event):
            key = (kpi_id, week_of(event.occurred_at), event.department_id or 0)
            counts[key] += 1
            if event.actor_id:
                wanted.setdefault((kpi_id, key[1], event.actor_id), key)
    if not counts:
        return
    keys = list(wanted)
    # Events arrive in time order, so a batch touches few weeks: read those weeks' rows, not a tuple IN per key.
    table = UsagePersonWeek.__table__
    weeks = sorted({w for _, w, _ in keys})
    kpi_ids = sorted({k for k, _, _ in keys})
    existing = set(map(tuple, db.session.execute(
        select(table.c.kpi_id, table.c.week, table.c.user_id).where(table.c.week.in_(weeks), table.c.kpi_id.in_(kpi_ids),
                                                                      table.c.user_id.in_(sorted({u for _, _, u in keys})))
    ).all())) if len(weeks) <= 8 else _existing_keys(table, keys)
    new = [k for k in keys if k not in existing]
    if new:
        db.session.execute(insert(UsagePersonWeek.__table__), [{"kpi_id": k, "week": w, "user_id": u} for k, w, u in new])
    people: Counter = Counter(wanted[k] for k in new)
    _add_usage(counts, people)


def _existing_keys(table, keys: list[tuple]) -> set[tuple]:  # noqa: ANN001
    found: set[tuple] = set()
    for start in range(0, len(keys), 300):
        found |= set(map(tuple, db.session.execute(
            select(table.c.kpi_id, table.c.week, table.c.user_id)
            .where(tuple_(table.c.kpi_id, table.c.week, table.c.user_id).in_(keys[start:start + 300]))).all()))
    return found


def _add_usage(counts: Counter, people: Counter) -> None:
    table = UsageWeek.__table__
    weeks = sorted({w for _, w, _ in counts})
    rows = set()
    for start in range(0, len(weeks), 50):  # a few weeks per batch in practice: all their rows are few
        rows |= set(map(tuple, db.session.execute(
            select(table.c.kpi_id, table.c.week, table.c.department_key).where(
                table.c.week.in_(weeks[start:start + 50]), table.c.kpi_id.in_(sorted({k for k, _, _ in counts})))
        ).all()))
    inserts = [{"kpi_id": k, "week": w, "department_key": d, "events": n, "people": people[(k, w, d)]}
               for (k, w, d), n in counts.items() if (k, w, d) not in rows]
    if inserts:
        db.session.execute(insert(table), inserts)
    updates = [{"k": k, "w": w, "d": d, "n": n, "p": people[(k, w, d)]} for (k, w, d), n in counts.items() if (k, w, d) in rows]
    if updates:
        db.session.execute(
            update(table).where(table.c.kpi_id == bindparam("k"), table.c.week == bindparam("w"), table.c.department_key == bindparam("d"))
            .values(events=table.c.events + bindparam("n"), people=table.c.people + bindparam("p")), updates)


def add_counters(deltas: dict[tuple[int, str], int]) -> None:
    """Add to per-KPI counters, creating them on first use."""
    deltas = {k: v for k, v in deltas.items() if v}
    if not deltas:
        return
    table = KpiCounter.__table__
    existing = set(map(tuple, db.session.execute(
        select(table.c.kpi_id, table.c.name).where(tuple_(table.c.kpi_id, table.c.name).in_(list(deltas)))).all()))
    inserts = [{"kpi_id": k, "name": n, "value": v} for (k, n), v in deltas.items() if (k, n) not in existing]
    if inserts:
        db.session.execute(insert(table), inserts)
    updates = [{"k": k, "n": n, "v": v} for (k, n), v in deltas.items() if (k, n) in existing]
    if updates:
        db.session.execute(update(table).where(table.c.kpi_id == bindparam("k"), table.c.name == bindparam("n"))
                           .values(value=table.c.value + bindparam("v")), updates)


def _votes(events: list) -> None:
    table = VoteState.__table__
    keys = list({(e.actor_id, e.object_id) for e in events if e.actor_id})
    states = {}
    for start in range(0, len(keys), 300):
        for row in db.session.execute(select(table).where(tuple_(table.c.user_id, table.c.item_id).in_(keys[start:start + 300]))):
            states[(row.user_id, row.item_id)] = (row.helpful, row.event_id)
    known = set(states)
    deltas: Counter = Counter()
    for event in events:
        if not event.actor_id:
            continue
        key = (event.actor_id, event.object_id)
        helpful = bool((event.context or {}).get("helpful"))
        state = states.get(key)
        if state is not None and state[1] >= event.id:
            continue
        for kpi_id in _kpi_ids(event):
            if state is None:
                deltas[(kpi_id, "helpful_votes")] += 1
                deltas[(kpi_id, "helpful_yes")] += int(helpful)
            elif state[0] != helpful:
                deltas[(kpi_id, "helpful_yes")] += 1 if helpful else -1
        states[key] = (helpful, event.id)
    fresh = [{"user_id": u, "item_id": i, "helpful": h, "event_id": e} for (u, i), (h, e) in states.items() if (u, i) not in known]
    if fresh:
        db.session.execute(insert(table), fresh)
    changed = [{"u": u, "i": i, "h": h, "e": e} for (u, i), (h, e) in states.items() if (u, i) in known]
    if changed:
        db.session.execute(update(table).where(table.c.user_id == bindparam("u"), table.c.item_id == bindparam("i"))
                           .values(helpful=bindparam("h"), event_id=bindparam("e")), changed)
    add_counters(deltas)


def _followups(events: list[LearningEvent]) -> None:
    deltas: Counter = Counter()
    for event in events:
        for kpi_id in _kpi_ids(event):
            deltas[(kpi_id, "followups_answered")] += 1
            deltas[(kpi_id, "followups_changed")] += int(bool((event.context or {}).get("changed")))
    add_counters(deltas)


def _person_departments(ids: Iterable[int]) -> dict[int, int]:
    from marketplace.accounts.models import User

    ids = [i for i in set(ids) if i]
    if not ids:
        return {}
    return {uid: dept or 0 for uid, dept in db.session.execute(select(User.id, User.department_id).where(User.id.in_(ids)))}


def _flows(events: list[LearningEvent]) -> None:
    """Knowledge flows from the answerer to the asker; an endorsement from the endorser to the endorsed."""
    counts: Counter = Counter()
    targets = []
    for event in events:
        context = event.context or {}
        target = context.get("person_id") if event.verb == Verb.ENDORSED else context.get("question_author_id")
        targets.append(target)
    departments = _person_departments(t for t in targets if t)
    for event, target in zip(events, targets, strict=True):
        if not event.actor_id or not target or target == event.actor_id:
            continue
        hidden = bool((event.context or {}).get("chatham_house"))
        key = (week_of(event.occurred_at), FLOW_KINDS[event.verb], 0 if hidden else event.actor_id,
               0 if hidden else int(target), event.department_id or 0, departments.get(int(target), 0))
        counts[key] += 1
    _add_keyed(Flow, ("week", "kind", "source_user_id", "target_user_id", "source_department", "target_department"), counts)


def _skills(events: list[LearningEvent]) -> None:
    counts: Counter = Counter()
    for event in events:
        context = event.context or {}
        if not event.actor_id or event.actor_id == context.get("question_author_id"):
            continue
        for skill_id in context.get("skill_ids") or []:
            counts[(week_of(event.occurred_at), int(skill_id), 0 if context.get("chatham_house") else event.actor_id)] += 1
    _add_keyed(SkillAnswer, ("week", "skill_id", "user_id"), counts)


def _add_keyed(model, names: tuple[str, ...], counts: Counter) -> None:  # noqa: ANN001
    if not counts:
        return
    table = model.__table__
    columns = [table.c[n] for n in names]
    keys = list(counts)
    existing = set()
    for start in range(0, len(keys), 200):
        existing |= set(map(tuple, db.session.execute(select(*columns).where(tuple_(*columns).in_(keys[start:start + 200]))).all()))
    inserts = [dict(zip(names, k, strict=True), count=n) for k, n in counts.items() if k not in existing]
    if inserts:
        db.session.execute(insert(table), inserts)
    updates = [{**{f"k_{n}": v for n, v in zip(names, key, strict=True)}, "n": count} for key, count in counts.items() if key in existing]
    if updates:
        condition = [table.c[n] == bindparam(f"k_{n}") for n in names]
        db.session.execute(update(table).where(*condition).values(count=table.c.count + bindparam("n")), updates)
