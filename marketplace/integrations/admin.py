"""What the integrations admin pages change: connections, rules and failed deliveries."""

from __future__ import annotations

from sqlalchemy import func, select

from marketplace.accounts.models import Department
from marketplace.catalog.models import KPI
from marketplace.curation.models import Collection
from marketplace.extensions import db
from marketplace.integrations import delivery
from marketplace.integrations.models import (
    ChannelRule,
    ChatConnection,
    ConnectionKind,
    Delivery,
    DeliveryState,
    RuleEvent,
)


def connections() -> list[ChatConnection]:
    """Every connection, oldest first."""
    return list(db.session.scalars(select(ChatConnection).order_by(ChatConnection.id)))


def rules() -> list[ChannelRule]:
    """Every rule, oldest first."""
    return list(db.session.scalars(select(ChannelRule).order_by(ChannelRule.id)))


def kpis() -> list[KPI]:
    return list(db.session.scalars(select(KPI).order_by(KPI.name)))


def departments() -> list[Department]:
    return list(db.session.scalars(select(Department).order_by(Department.name)))


def collections() -> list[Collection]:
    return list(db.session.scalars(select(Collection).order_by(Collection.title)))


def create_connection(data: dict) -> ChatConnection:
    """Add a connection from the form's cleaned data."""
    connection = ChatConnection(
        name=data["name"].strip(), kind=ConnectionKind(data["kind"]), url=(data.get("url") or "").strip(),
        token=(data.get("token") or "").strip(), channel=(data.get("channel") or "").strip(),
    )
    db.session.add(connection)
    db.session.commit()
    return connection


def create_rule(data: dict) -> ChannelRule:
    """Add a rule; 0 in a filter means "any"."""
    rule = ChannelRule(
        connection_id=data["connection_id"], event=RuleEvent(data["event"]), kpi_id=data.get("kpi_id") or None,
        department_id=data.get("department_id") or None, collection_id=data.get("collection_id") or None,
        hours=data.get("hours") or 24,
    )
    db.session.add(rule)
    db.session.commit()
    return rule


def delete_rule(rule_id: int) -> bool:
    """Remove a rule; False when there is none."""
    rule = db.session.get(ChannelRule, rule_id)
    if rule is None:
        return False
    db.session.delete(rule)
    db.session.commit()
    return True


def toggle_connection(connection_id: int) -> bool:
    """Turn a connection off or on; False when there is none."""
    connection = db.session.get(ChatConnection, connection_id)
    if connection is None:
        return False
    connection.active = not connection.active
    db.session.commit()
    return True


def failed() -> list[Delivery]:
    """Deliveries that gave up."""
    return delivery.failed_deliveries()


def counts() -> dict[str, int]:
    """Deliveries per state, for the page's summary line."""
    rows = db.session.execute(select(Delivery.state, func.count()).group_by(Delivery.state))
    return {state.value: count for state, count in rows}


def retry(delivery_id: int) -> bool:
    """Queue a failed delivery again; False when there is no such failed delivery."""
    row = db.session.get(Delivery, delivery_id)
    if row is None or row.state != DeliveryState.FAILED:
        return False
    delivery.retry(row)
    db.session.commit()
    return True
