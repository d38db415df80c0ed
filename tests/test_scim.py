"""SCIM 2.0 provisioning: conformance (scim2-tester against the live endpoint) and our own effects."""

from __future__ import annotations

from collections import Counter

import pytest
from httpx2 import Client
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_tester import Status, check_server
from sqlalchemy import select

from marketplace.accounts.models import User
from marketplace.catalog.models import Item
from marketplace.extensions import db
from marketplace.identity import services
from marketplace.identity.models import MappedRole, ScimResource
from tests import factories

SCIM = "application/scim+json"
USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


def test_scim2_tester_finds_no_failure_on_the_live_endpoint(live_server, scim_token):
    http = Client(base_url=f"{live_server}/scim/v2", headers={"Authorization": f"Bearer {scim_token}"}, timeout=30)
    results = check_server(SyncSCIMClient(http))
    statuses = Counter(result.status for result in results)
    failures = [f"{r.title}: {r.reason}" for r in results if r.status not in (Status.SUCCESS, Status.SKIPPED)]
    print(f"scim2-tester: {dict(statuses)}")
    assert statuses[Status.SUCCESS] > 50
    assert failures == []


def _headers(token: str, **extra: str) -> dict:
    return {"Authorization": f"Bearer {token}", "Content-Type": SCIM, **extra}


def _new_user(client, token: str, email: str = "nia.leaver@test.example", department: str = "Sales", **fields) -> dict:
    payload = {
        "schemas": [USER_SCHEMA, ENTERPRISE], "userName": email, "externalId": f"ext-{email}",
        "name": {"givenName": "Nia", "familyName": "Leaver"}, "displayName": "Nia Leaver",
        "emails": [{"value": email, "primary": True, "type": "work"}], "active": True,
        "phoneNumbers": [{"value": "+1 555 0100"}],  # not in our schema: ignored, never stored
        ENTERPRISE: {"department": department}, **fields,
    }
    response = client.post("/scim/v2/Users", json=payload, headers=_headers(token))
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()


def _patch(client, token: str, path: str, operations: list[dict], **headers: str):
    return client.patch(path, json={"schemas": [PATCH], "Operations": operations}, headers=_headers(token, **headers))


@pytest.mark.parametrize("authorization", [None, "Bearer nope", "Basic YTpi", "Bearer scim_wrong"])
def test_requests_without_a_valid_token_get_401(client, authorization):
    headers = {"Authorization": authorization} if authorization else {}
    response = client.get("/scim/v2/Users", headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert "urn:ietf:params:scim:api:messages:2.0:Error" in response.get_data(as_text=True)


def test_a_revoked_token_is_refused_and_only_its_hash_is_stored(client, base, scim_token):
    assert client.get("/scim/v2/Users", headers=_headers(scim_token)).status_code == 200
    token = services.tokens()[0]
    assert scim_token not in token.token_hash and len(token.token_hash) == 64
    services.revoke_token(token)
    db.session.commit()
    assert client.get("/scim/v2/Users", headers=_headers(scim_token)).status_code == 401


def test_provisioning_creates_the_account_with_department_and_drops_unknown_attributes(client, base, scim_token):
    created = _new_user(client, scim_token, department="Field Marketing")
    user = db.session.scalar(select(User).where(User.email == "nia.leaver@test.example"))
    assert user.name == "Nia Leaver" and user.active
    assert user.department.name == "Field Marketing"
    row = db.session.get(ScimResource, created["id"])
    assert "phoneNumbers" not in row.document and row.user_id == user.id
    assert user.password_hash.startswith("!")  # no password sign-in: they come through the IdP
    for guess in ("", "!", user.password_hash, user.password_hash[1:]):
        assert client.login("nia.leaver@test.example", guess).status_code != 303
    assert created[ENTERPRISE]["department"] == "Field Marketing"


def test_an_account_made_by_hand_is_adopted_by_its_address(client, base, scim_token):
    _new_user(client, scim_token, email="employee@test.example")
    assert db.session.scalar(select(User).where(User.email == "employee@test.example")).id == base.users["employee"].id


def test_deactivation_signs_the_leaver_out_and_hands_items_to_champions(app, client, base, scim_token):
    created = _new_user(client, scim_token)
    leaver = db.session.scalar(select(User).where(User.email == "nia.leaver@test.example"))
    leaver.password_hash = base.users["employee"].password_hash
    base.job_aid.owner_id = leaver.id
    db.session.commit()
    browser = app.test_client()
    assert browser.login("nia.leaver@test.example").status_code == 303
    assert browser.get("/notifications").status_code == 200

    response = _patch(client, scim_token, f"/scim/v2/Users/{created['id']}", [{"op": "replace", "value": {"active": False}}])
    assert response.status_code in (200, 204), response.get_data(as_text=True)

    db.session.expire_all()
    assert not db.session.get(User, leaver.id).active
    assert db.session.get(Item, base.job_aid.id).owner_id == base.users["champion"].id
    after = browser.get("/notifications")
    assert after.status_code in (302, 303) and "/login" in after.headers["Location"]
    assert browser.login("nia.leaver@test.example").status_code != 303  # and cannot sign in again


def test_delete_deactivates_forgets_the_resource_and_reactivation_by_post_adopts_the_account(client, base, scim_token):
    created = _new_user(client, scim_token)
    response = client.delete(f"/scim/v2/Users/{created['id']}", headers=_headers(scim_token))
    assert response.status_code == 204
    assert client.get(f"/scim/v2/Users/{created['id']}", headers=_headers(scim_token)).status_code == 404
    leaver = db.session.scalar(select(User).where(User.email == "nia.leaver@test.example"))
    assert not leaver.active
    _new_user(client, scim_token)  # the rehire
    db.session.expire_all()
    assert db.session.get(User, leaver.id).active


def test_filter_paging_and_etags(client, base, scim_token):
    for n in range(3):
        _new_user(client, scim_token, email=f"p{n}@test.example")
    found = client.get('/scim/v2/Users?filter=userName eq "P1@TEST.example"', headers=_headers(scim_token)).get_json()
    assert found["totalResults"] == 1 and found["Resources"][0]["userName"] == "p1@test.example"
    page = client.get("/scim/v2/Users?startIndex=2&count=1", headers=_headers(scim_token)).get_json()
    assert page["totalResults"] == 3 and page["startIndex"] == 2 and page["Resources"][0]["userName"] == "p1@test.example"
    contains = client.get('/scim/v2/Users?filter=emails.value co "p2@"', headers=_headers(scim_token)).get_json()
    assert [r["userName"] for r in contains["Resources"]] == ["p2@test.example"]

    user = found["Resources"][0]
    stale = _patch(client, scim_token, f"/scim/v2/Users/{user['id']}", [{"op": "replace", "path": "displayName", "value": "X"}], **{"If-Match": 'W/"999"'})
    assert stale.status_code == 412
    fresh = _patch(client, scim_token, f"/scim/v2/Users/{user['id']}", [{"op": "replace", "path": "displayName", "value": "Pat One"}], **{"If-Match": user["meta"]["version"]})
    assert fresh.status_code in (200, 204)
    assert db.session.scalar(select(User).where(User.email == "p1@test.example")).name == "Pat One"


def test_a_duplicate_user_name_is_a_uniqueness_error(client, base, scim_token):
    _new_user(client, scim_token)
    response = client.post("/scim/v2/Users", json={"schemas": [USER_SCHEMA], "userName": "NIA.leaver@test.example"}, headers=_headers(scim_token))
    assert response.status_code == 409 and response.get_json()["scimType"] == "uniqueness"


def test_groups_grant_and_withdraw_mapped_roles(client, base, scim_token):
    services.add_mapping("L&D Curators", MappedRole.CURATOR, None)
    services.add_mapping("Support champions", MappedRole.CHAMPION, base.support.id)
    db.session.commit()
    person = _new_user(client, scim_token)
    member = [{"value": person["id"], "type": "User"}]
    curators = client.post("/scim/v2/Groups", json={"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "l&d curators", "members": member}, headers=_headers(scim_token)).get_json()
    client.post("/scim/v2/Groups", json={"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Support Champions", "members": member}, headers=_headers(scim_token))
    user = db.session.scalar(select(User).where(User.email == "nia.leaver@test.example"))
    db.session.refresh(user)
    assert user.is_curator and [d.slug for d in user.champion_of] == ["support"]

    removed = _patch(client, scim_token, f"/scim/v2/Groups/{curators['id']}", [{"op": "remove", "path": f'members[value eq "{person["id"]}"]'}])
    assert removed.status_code in (200, 204), removed.get_data(as_text=True)
    db.session.expire_all()
    assert not db.session.get(User, user.id).is_curator
    mapping = next(m for m in services.mappings() if m.role == MappedRole.CHAMPION)
    services.remove_mapping(mapping)
    db.session.commit()
    assert db.session.get(User, user.id).champion_of == []


def test_the_admin_page_shows_a_new_token_once_and_revokes_it(as_role, base):
    admin = as_role("admin")
    created = admin.send("/admin/provisioning/tokens", {"token-label": "Entra ID production"})
    assert created.status_code == 201 and created.headers["Cache-Control"] == "no-store"
    plain = created.get_data(as_text=True).split('id="plain-token" readonly value="')[1].split('"')[0]
    assert plain.startswith("scim_")
    assert admin.get("/scim/v2/Users").status_code == 401  # the admin's session is no SCIM credential
    assert admin.get("/scim/v2/Users", headers={"Authorization": f"Bearer {plain}"}).status_code == 200
    assert plain not in admin.get("/admin/provisioning").get_data(as_text=True)
    token = services.tokens()[0]
    assert admin.send(f"/admin/provisioning/tokens/{token.id}/revoke").status_code == 303
    assert admin.get("/scim/v2/Users", headers={"Authorization": f"Bearer {plain}"}).status_code == 401


def test_a_champion_mapping_needs_a_department_and_every_problem_is_listed(as_role, base):
    response = as_role("admin").send("/admin/provisioning/mappings", {"mapping-group_name": "Champs", "mapping-role": "champion", "mapping-department_id": "0"})
    assert response.status_code == 422 and "choose one" in response.get_data(as_text=True)
    empty = as_role("admin").send("/admin/provisioning/mappings", {"mapping-group_name": "", "mapping-role": "leader"})
    assert empty.status_code == 422 and services.mappings() == []


def test_scim_and_admin_deactivation_hand_items_to_the_same_champion(client, as_role, base, scim_token):
    """One hand-over rule for both paths: the item's department has no champion, so the leaver's does;
    of two Sales champions the longest-serving one, whatever their names."""
    factories.user("aaron.second@test.example", "Aaron Second", base.sales, champion_of=[base.sales])  # sorts first by name
    admin_leaver = factories.user("omar.leaver@test.example", "Omar Leaver", base.sales)
    created = _new_user(client, scim_token)  # Nia Leaver, in Sales
    scim_leaver = db.session.scalar(select(User).where(User.email == "nia.leaver@test.example"))
    items = {leaver.email: factories.item(f"support-guide-{n}", "solve", department=base.support, owner=leaver, kpis=[base.kpi2])
             for n, leaver in enumerate((scim_leaver, admin_leaver))}
    db.session.commit()

    response = _patch(client, scim_token, f"/scim/v2/Users/{created['id']}", [{"op": "replace", "value": {"active": False}}])
    assert response.status_code in (200, 204), response.get_data(as_text=True)
    form = {"name": admin_leaver.name, "email": admin_leaver.email, "department_id": str(base.sales.id)}  # "active" unticked
    assert as_role("admin").send(f"/admin/users/{admin_leaver.id}", form).status_code == 303

    db.session.expire_all()
    heirs = {email: db.session.get(Item, item.id).owner_id for email, item in items.items()}
    assert heirs == {scim_leaver.email: base.users["champion"].id, admin_leaver.email: base.users["champion"].id}
