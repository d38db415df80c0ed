"""The SCIM resources we serve: only the attributes we keep (data minimisation), built on scim2-models.

Identity providers send more (phone numbers, addresses...); the policy ignores what the
schemas do not declare, so it is never stored.
"""

from __future__ import annotations

from typing import Annotated, Any

from scim2_models import (
    URN,
    AuthenticationScheme,
    Bulk,
    ChangePassword,
    Email,
    ETag,
    Extension,
    Filter,
    Group,
    Name,
    Patch,
    Required,
    Resource,
    ResourceType,
    ScimPolicy,
    ScimProvider,
    ServiceProviderConfig,
    Sort,
    Uniqueness,
)
from scim2_models.resources.enterprise_user import Manager

MAX_RESULTS = 200


class User(Resource[Any]):
    """A person: sign-in name, name, e-mail addresses and whether they may sign in."""

    __schema__ = URN("urn:ietf:params:scim:schemas:core:2.0:User")

    user_name: Annotated[str | None, Uniqueness.server, Required.true] = None
    """Unique identifier for the User, typically the sign-in name (often the e-mail address)."""

    name: Name | None = None
    """The components of the user's real name."""

    display_name: str | None = None
    """The name of the User, suitable for display to end-users."""

    active: bool | None = None
    """Whether the user may sign in; false signs them out everywhere and hands their items over."""

    emails: list[Email] | None = None
    """E-mail addresses; the primary one (or the first) becomes the account's address."""


class EnterpriseUser(Extension):
    """The enterprise extension: the department and the manager."""

    __schema__ = URN("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User")

    department: str | None = None
    """Identifies the name of a department (created here when new)."""

    manager: Manager | None = None
    """The User's manager."""


def provider() -> ScimProvider:
    """Our service: Users with the enterprise extension, Groups; PATCH, filters and ETags."""
    config = ServiceProviderConfig(
        documentation_uri=None,
        patch=Patch(supported=True),
        bulk=Bulk(supported=False, max_operations=0, max_payload_size=0),
        filter=Filter(supported=True, max_results=MAX_RESULTS),
        change_password=ChangePassword(supported=False),
        sort=Sort(supported=False),
        etag=ETag(supported=True),
        authentication_schemes=[
            AuthenticationScheme(
                type=AuthenticationScheme.Type.oauthbearertoken,
                name="Bearer token",
                description="A token an administrator creates under Admin → Provisioning",
                primary=True,
            )
        ],
    )
    return ScimProvider(
        models=[User, EnterpriseUser, Group],
        resource_types=[ResourceType.from_resource(User[EnterpriseUser]), ResourceType.from_resource(Group)],
        config=config,
        policy=ScimPolicy(unknown=ScimPolicy.Unknown.ignore),
    )
