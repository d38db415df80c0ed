"""The SCIM 2.0 endpoint (/scim/v2): scim2-flask serves the protocol, this storage keeps it in our database."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask, g
from scim2_flask import ScimServer
from scim2_models import (
    Meta,
    NotFoundException,
    PreconditionFailedException,
    Resource,
    ResourceType,
    ResponseParameters,
    ScimFilter,
    SearchRequest,
    UniquenessException,
)
from scim2_models.path import CompareOperator, Comparison
from scim2_server.handler import ScimHandler
from scim2_server.storage import ScimStorage, SearchPage
from scim2_server.utils import parametrize
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from marketplace.accounts.models import User
from marketplace.extensions import db
from marketplace.identity import scim_models, services
from marketplace.identity.models import ResourceKind, ScimResource
from marketplace.timeutil import utcnow

ENTERPRISE = str(scim_models.EnterpriseUser.__schema__)
# Attributes an identity provider looks people and groups up by; narrowed in SQL, then matched exactly.
KEYED = {"username": "key", "displayname": "key", "externalid": "external_id", "id": "id"}


def _version(row: ScimResource) -> str:
    return f'W/"{row.version}"'


class DatabaseStorage(ScimStorage):
    """Users and Groups as scim_resources rows; a User drives one account in `users`."""

    def __init__(self, provider) -> None:  # noqa: ANN001 - scim2_models.ScimProvider
        self.provider = provider

    @contextmanager
    def operation(self) -> Iterator[None]:
        """A savepoint per operation, so a refused one leaves nothing half-written."""
        with db.session.begin_nested():
            yield

    def get(self, resource_type: ResourceType, resource_id: str, *, response_parameters: ResponseParameters | None = None) -> Resource:
        return self._resource(resource_type, self._row(resource_type, resource_id))

    def search(self, resource_types: list[ResourceType], search_request: SearchRequest, *, position: Any = None) -> SearchPage:
        kinds = [ResourceKind(rt.name) for rt in resource_types]
        by_kind = {ResourceKind(rt.name): rt for rt in resource_types}
        query = select(ScimResource).where(ScimResource.kind.in_(kinds))
        scim_filter = search_request.filter
        start = search_request.start_index_0 or 0
        count = search_request.count
        if scim_filter is None:
            total = db.session.scalar(select(func.count()).select_from(query.subquery()))
            page = query.order_by(ScimResource.created_at, ScimResource.id).offset(start)
            rows = db.session.scalars(page.limit(count) if count is not None else page).all()
            return SearchPage(total, [self._resource(by_kind[row.kind], row) for row in rows])
        rows = db.session.scalars(self._narrow(query, scim_filter).order_by(ScimResource.created_at, ScimResource.id)).all()
        found = [resource for resource in (self._resource(by_kind[row.kind], row) for row in rows) if self._match(scim_filter, resource)]
        stop = None if count is None else start + count
        return SearchPage(len(found), found[start:stop])

    def create(self, resource_type: ResourceType, resource: Resource) -> Resource:
        kind = ResourceKind(resource_type.name)
        row = ScimResource(id=uuid.uuid4().hex, kind=kind, version=1, created_at=utcnow(), updated_at=utcnow())
        self._write(row, resource, before=set())
        return self._resource(resource_type, row)

    def update(self, resource_type: ResourceType, resource: Resource, *, expected_version: str | None = None) -> Resource:
        row = self._row(resource_type, resource.id)
        self._check_version(row, expected_version)
        before = self._member_users(row)
        self._write(row, resource, before=before)
        row.version += 1
        row.updated_at = utcnow()
        db.session.flush()
        return self._resource(resource_type, row)

    def delete(self, resource_type: ResourceType, resource_id: str, *, expected_version: str | None = None) -> None:
        row = self._row(resource_type, resource_id)
        self._check_version(row, expected_version)
        former = self._member_users(row)
        if row.kind == ResourceKind.USER and row.user_id is not None:
            # The account stays (inactive): erasure is a separate, deliberate request.
            services.deprovision(db.session.get(User, row.user_id))
        db.session.delete(row)
        db.session.flush()
        services.sync_roles(former)

    # --- helpers ---------------------------------------------------------------------------------

    def _row(self, resource_type: ResourceType, resource_id: str | None) -> ScimResource:
        row = db.session.get(ScimResource, resource_id or "")
        if row is None or row.kind != ResourceKind(resource_type.name):
            raise NotFoundException(detail=f"{resource_type.name} {resource_id!r} not found")
        return row

    @staticmethod
    def _check_version(row: ScimResource, expected: str | None) -> None:
        if expected is not None and expected != _version(row):
            raise PreconditionFailedException

    def _resource(self, resource_type: ResourceType, row: ScimResource) -> Resource:
        model = self.provider.model_for(resource_type.name)
        resource = model.model_validate(row.document)
        resource.id = row.id
        resource.meta = Meta(resource_type=resource_type.name, created=row.created_at, last_modified=row.updated_at, version=_version(row))
        return resource

    def _write(self, row: ScimResource, resource: Resource, before: set[int]) -> None:
        document = resource.model_dump(mode="json", exclude={"id", "meta"}, by_alias=True, exclude_none=True)
        key = (document.get("userName") if row.kind == ResourceKind.USER else document.get("displayName")) or ""
        key = services.group_key(key)
        taken = db.session.scalar(select(ScimResource.id).where(ScimResource.kind == row.kind, ScimResource.key == key, ScimResource.id != row.id))
        if taken is not None:
            raise UniquenessException(detail=f"{key!r} is already provisioned")
        row.key, row.external_id, row.document = key[:255], (document.get("externalId") or None), document
        db.session.add(row)
        try:
            db.session.flush()
        except IntegrityError as error:  # a concurrent request took the name between check and write
            raise UniquenessException(detail=f"{key!r} is already provisioned") from error
        if row.kind == ResourceKind.USER:
            self._drive_user(row, document)
        else:
            services.sync_roles(before | self._member_users(row))

    @staticmethod
    def _drive_user(row: ScimResource, document: dict) -> None:
        emails = document.get("emails") or []
        primary = next((e for e in emails if e.get("primary")), emails[0] if emails else {})
        name = document.get("name") or {}
        full = name.get("formatted") or " ".join(filter(None, [name.get("givenName"), name.get("familyName")]))
        person = services.Person(
            email=primary.get("value") or document.get("userName") or "",
            name=document.get("displayName") or full or document.get("userName") or "",
            department=(document.get(ENTERPRISE) or {}).get("department"),
            active=document.get("active", True) is not False,
        )
        existing = db.session.get(User, row.user_id) if row.user_id else None
        try:
            user = services.provision(person, existing)
        except services.ProvisioningError as error:
            raise UniquenessException(detail=str(error)) from error
        row.user_id = user.id
        db.session.flush()
        services.sync_roles({user.id})

    @staticmethod
    def _member_users(row: ScimResource) -> set[int]:
        if row.kind != ResourceKind.GROUP:
            return set()
        ids = {m.get("value") for m in (row.document or {}).get("members") or []} - {None}
        if not ids:
            return set()
        return set(db.session.scalars(select(ScimResource.user_id).where(ScimResource.id.in_(ids), ScimResource.user_id.is_not(None))))

    @staticmethod
    def _narrow(query, scim_filter: ScimFilter):  # noqa: ANN001, ANN205 - a Select
        node = scim_filter.ast
        if not isinstance(node, Comparison) or node.op != CompareOperator.eq or not isinstance(node.value, str):
            return query
        attribute = str(node.attr_path).rsplit(":", 1)[-1].casefold()
        column = KEYED.get(attribute)
        if column is None:
            return query
        value = node.value if column in ("id", "external_id") else services.group_key(node.value)
        return query.where(getattr(ScimResource, column) == value)

    @staticmethod
    def _match(scim_filter: ScimFilter, resource: Resource) -> bool:
        if not scim_filter.models:
            scim_filter = parametrize(ScimFilter, type(resource))(str(scim_filter))
        return scim_filter.match(resource)


class MarketplaceScim(ScimServer):
    """scim2-flask's server behind our bearer tokens (scim_mount.py routes to it and commits each success)."""

    def get_subject(self) -> Any:
        return g.get("scim_token")


def build_server(app: Flask) -> MarketplaceScim:
    """The SCIM server over our database, ready to handle requests (what scim2-flask's init_app sets up, minus routes)."""
    provider = scim_models.provider()
    server = MarketplaceScim(DatabaseStorage(provider), provider)
    server.service = server._create_service(app)
    server.handler = ScimHandler(server.service, server.storage)
    return server
