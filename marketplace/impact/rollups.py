"""Fold learning events into rollup tables by following the change feed (no page ever scans events).

Each batch writes its rollup rows, the applied change ids and the consumer's position in ONE
transaction, so a crash loses nothing and a re-delivered change (the reader re-checks gaps) is skipped.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import date, datetime, timedelta

from sqlalchemy import delete, insert, select, tuple_, update

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
        session.execute(delete(AppliedChange).where(AppliedChange.change_id <= min(safe, top)))
        session.commit()  # rollups, applied ids and position together

    applied = reader.poll(session, apply, topics=[TOPIC], batch=batch)
    changes.report_position(session, CONSUMER, reader.safe_position)
    session.commit()
    return applied


def _fresh(rows: list[Change]) -> list[Change]:
    ids = [c.id for c in rows]
    done = set(db.session.scalars(select(AppliedChange.change_id).where(AppliedChange.change_id.in_(ids))))
    fresh = [c for c in rows if c.id not in done]
    if fresh:
        db.session.execute(insert(AppliedChange), [{"change_id": c.id} for c in fresh])
    return fresh


def _apply(rows: list[Change]) -> None:
    fresh = _fresh(rows)
    if not fresh:
        return
    ids = [int(c.entity_id) for c in fresh]
    events = list(db.session.scalars(select(LearningEvent).where(LearningEvent.id.in_(ids)).order_by(LearningEvent.id)))
    _usage([e for e in events if e.verb in USAGE_VERBS])
    _votes([e for e in events if e.verb == Verb.VOTED_HELPFUL])
    _followups([e for e in events if e.verb == Verb.ANSWERED_FOLLOWUP])
    _flows([e for e in events if e.verb in FLOW_KINDS])
    _skills([e for e in events if e.verb == Verb.ANSWERED])


def _kpi_ids(event: LearningEvent) -> list[int]:
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
    existing = set()
    keys = list(wanted)
    for start in range(0, len(keys), 300):
        chunk = keys[start:start + 300]
        existing |= set(map(tuple, db.session.execute(
            select(UsagePersonWeek.kpi_id, UsagePersonWeek.week, UsagePersonWeek.user_id)
            .where(tuple_(UsagePersonWeek.kpi_id, UsagePersonWeek.week, UsagePersonWeek.user_id).in_(chunk))
        ).all()))
    new = [k for k in keys if k not in existing]
    if new:
        db.session.execute(insert(UsagePersonWeek), [{"kpi_id": k, "week": w, "user_id": u} for k, w, u in new])
    people: Counter = Counter(wanted[k] for k in new)
    _add_usage(counts, people)


def _add_usage(counts: Counter, people: Counter) -> None:
    keys = list(counts)
    rows = {}
    for start in range(0, len(keys), 300):
        chunk = keys[start:start + 300]
        for row in db.session.execute(
            select(UsageWeek.kpi_id, UsageWeek.week, UsageWeek.department_key)
            .where(tuple_(UsageWeek.kpi_id, UsageWeek.week, UsageWeek.department_key).in_(chunk))
        ).all():
            rows[tuple(row)] = True
    inserts = [{"kpi_id": k, "week": w, "department_key": d, "events": n, "people": people[(k, w, d)]}
               for (k, w, d), n in counts.items() if (k, w, d) not in rows]
    if inserts:
        db.session.execute(insert(UsageWeek), inserts)
    for (k, w, d), n in counts.items():
        if (k, w, d) in rows:
            db.session.execute(
                update(UsageWeek).where(UsageWeek.kpi_id == k, UsageWeek.week == w, UsageWeek.department_key == d)
                .values(events=UsageWeek.events + n, people=UsageWeek.people + people[(k, w, d)])
            )


def add_counters(deltas: dict[tuple[int, str], int]) -> None:
    """Add to per-KPI counters, creating them on first use."""
    deltas = {k: v for k, v in deltas.items() if v}
    if not deltas:
        return
    existing = set(map(tuple, db.session.execute(
        select(KpiCounter.kpi_id, KpiCounter.name).where(tuple_(KpiCounter.kpi_id, KpiCounter.name).in_(list(deltas)))
    ).all()))
    for (kpi_id, name), delta in deltas.items():
        if (kpi_id, name) in existing:
            db.session.execute(update(KpiCounter).where(KpiCounter.kpi_id == kpi_id, KpiCounter.name == name)
                               .values(value=KpiCounter.value + delta))
        else:
            db.session.add(KpiCounter(kpi_id=kpi_id, name=name, value=delta))
    db.session.flush()


def _votes(events: list[LearningEvent]) -> None:
    deltas: Counter = Counter()
    for event in events:
        if not event.actor_id:
            continue
        helpful = bool((event.context or {}).get("helpful"))
        state = db.session.get(VoteState, (event.actor_id, event.object_id))
        if state is not None and state.event_id >= event.id:
            continue
        for kpi_id in _kpi_ids(event):
            if state is None:
                deltas[(kpi_id, "helpful_votes")] += 1
                deltas[(kpi_id, "helpful_yes")] += int(helpful)
            elif state.helpful != helpful:
                deltas[(kpi_id, "helpful_yes")] += 1 if helpful else -1
        if state is None:
            db.session.add(VoteState(user_id=event.actor_id, item_id=event.object_id, helpful=helpful, event_id=event.id))
            db.session.flush()
        else:
            state.helpful, state.event_id = helpful, event.id
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
    columns = [getattr(model, n) for n in names]
    keys = list(counts)
    existing = set()
    for start in range(0, len(keys), 200):
        existing |= set(map(tuple, db.session.execute(select(*columns).where(tuple_(*columns).in_(keys[start:start + 200]))).all()))
    inserts = [dict(zip(names, k, strict=True), count=n) for k, n in counts.items() if k not in existing]
    if inserts:
        db.session.execute(insert(model), inserts)
    grouped = defaultdict(int)
    for key, n in counts.items():
        if key in existing:
            grouped[key] += n
    for key, n in grouped.items():
        condition = [c == v for c, v in zip(columns, key, strict=True)]
        db.session.execute(update(model).where(*condition).values(count=model.count + n))
