"""Route × role matrix for provisioning: the admin page by role, the SCIM endpoint by bearer token only."""

from __future__ import annotations

import pytest

from marketplace.extensions import db
from marketplace.identity import services
from marketplace.identity.models import MappedRole
from tests.test_route_matrix import (
    EXTRA_ROUTES,
    ROLES,
    Route,
    _cases,
    _check,
    signed_in,
)

# Access rules and service rules answer the same on both databases: this runs on SQLite only
# (`make test` runs the PostgreSQL suite with -m "not browser and not access_matrix").
pytestmark = pytest.mark.access_matrix

ADMIN_ONLY = signed_in(employee=403, champion=403, curator=403, leader=403)

IDENTITY_ROUTES: dict[str, Route] = {
    "identity.index": Route(lambda b: "/admin/provisioning", ADMIN_ONLY),
    "identity.create_token": Route(lambda b: "/admin/provisioning/tokens", ADMIN_ONLY, method="POST", data=lambda b: {"token-label": "Okta"}),
    "identity.revoke_token": Route(lambda b: f"/admin/provisioning/tokens/{b.token_id}/revoke", ADMIN_ONLY, method="POST"),
    "identity.add_mapping": Route(
        lambda b: "/admin/provisioning/mappings", ADMIN_ONLY, method="POST",
        data=lambda b: {"mapping-group_name": "Leaders", "mapping-role": "leader", "mapping-department_id": "0"},
    ),
    "identity.remove_mapping": Route(lambda b: f"/admin/provisioning/mappings/{b.mapping_id}/remove", ADMIN_ONLY, method="POST"),
}
EXTRA_ROUTES.update(IDENTITY_ROUTES)

# (method, path) per SCIM endpoint: a bearer token is the only credential; a session cookie is none.
SCIM_ROUTES: dict[str, tuple[str, str]] = {
    "scim.service_provider_config": ("GET", "/scim/v2/ServiceProviderConfig"),
    "scim.resource_types": ("GET", "/scim/v2/ResourceTypes"),
    "scim.resource_type": ("GET", "/scim/v2/ResourceTypes/User"),
    "scim.schemas": ("GET", "/scim/v2/Schemas"),
    "scim.schema": ("GET", "/scim/v2/Schemas/urn:ietf:params:scim:schemas:core:2.0:User"),
    "scim.bulk": ("POST", "/scim/v2/Bulk"),
    "scim.me_query": ("GET", "/scim/v2/Me"),
    "scim.me_replace": ("PUT", "/scim/v2/Me"),
    "scim.me_patch": ("PATCH", "/scim/v2/Me"),
    "scim.me_delete": ("DELETE", "/scim/v2/Me"),
    "scim.me_create": ("POST", "/scim/v2/Me"),
    "scim.search_root": ("GET", "/scim/v2/"),
    "scim.search_root_with_body": ("POST", "/scim/v2/.search"),
    "scim.search_with_body": ("POST", "/scim/v2/Users/.search"),
    "scim.search": ("GET", "/scim/v2/Users"),
    "scim.create": ("POST", "/scim/v2/Users"),
    "scim.query": ("GET", "/scim/v2/Users/unknown"),
    "scim.replace": ("PUT", "/scim/v2/Users/unknown"),
    "scim.patch": ("PATCH", "/scim/v2/Users/unknown"),
    "scim.delete": ("DELETE", "/scim/v2/Users/unknown"),
    "scim.fallback": ("GET", "/scim/v2/Nothing/here/at/all"),
}
EXTRA_ROUTES.update(SCIM_ROUTES)


@pytest.fixture()
def with_provisioning(base):
    token, _plain = services.create_token("Existing", base.users["admin"])
    mapping = services.add_mapping("Curators", MappedRole.CURATOR, None)
    db.session.commit()
    base.token_id, base.mapping_id = token.id, mapping.id
    return base


@pytest.mark.parametrize(("endpoint", "roles"), list(_cases(IDENTITY_ROUTES)))
def test_provisioning_admin_access(as_role, with_provisioning, endpoint, roles):
    _check(as_role, with_provisioning, IDENTITY_ROUTES[endpoint], roles)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("endpoint", sorted(SCIM_ROUTES))
def test_scim_needs_the_bearer_token_whatever_the_session(as_role, endpoint, role):
    method, path = SCIM_ROUTES[endpoint]
    response = as_role(role).open(path, method=method, json={})
    assert response.status_code == 401


@pytest.mark.parametrize("endpoint", sorted(SCIM_ROUTES))
def test_scim_with_the_token_answers_without_a_server_error(client, scim_token, endpoint):
    method, path = SCIM_ROUTES[endpoint]
    response = client.open(path, method=method, json={}, headers={"Authorization": f"Bearer {scim_token}"})
    # 501 is SCIM's answer for what ServiceProviderConfig says we do not offer (Bulk, /Me).
    assert response.status_code != 401 and (response.status_code < 500 or response.status_code == 501), response.get_data(as_text=True)
