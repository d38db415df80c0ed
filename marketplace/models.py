"""Import every model so metadata is complete for Alembic and tests."""

from marketplace.accounts.models import (
    ROLE_NAMES,
    Department,
    User,
    UserIdentity,
    UserSession,
    champion_departments,
    user_skills,
)
from marketplace.catalog.models import (
    ITEM_TYPES,
    KPI,
    ChecklistStep,
    ChecklistTick,
    HelpfulVote,
    Item,
    ItemImage,
    MediaFile,
    Moment,
    Skill,
)
from marketplace.changes.models import Change, FeedCursor  # noqa: F401  (registers the tables)
from marketplace.curation.models import Collection, CollectionEntry
from marketplace.events.models import LearningEvent  # noqa: F401
from marketplace.identity.models import GroupMapping, ScimResource, ScimToken  # noqa: F401
from marketplace.integrations.models import (  # noqa: F401  (registers the tables)
    ChannelPreference,
    ChannelRule,
    ChatCapture,
    ChatConnection,
    Delivery,
    InboundNonce,
)
from marketplace.jobs.models import JobRun  # noqa: F401
from marketplace.lifecycle.models import ReviewReminder  # noqa: F401  (registers the table)
from marketplace.notifications.models import Notification
from marketplace.people.models import Endorsement
from marketplace.privacy.models import AuditEntry, PrivacyRequest  # noqa: F401
from marketplace.requests.models import ActionRequest, RequestEvent, RequestLink  # noqa: F401
from marketplace.search.models import ContentRequest, SearchDemand  # noqa: F401  (registers the tables)
from marketplace.spaces.models import Experiment, Membership, Post, PostVote, Space, Thread
from marketplace.submissions.models import (  # noqa: F401  (registers the tables)
    ConfidentialTerm,
    Submission,
    SubmissionEvent,
    SubmissionVersion,
    TrustedContributor,
)

__all__ = [
    "ITEM_TYPES", "KPI", "ROLE_NAMES", "ChecklistStep", "ChecklistTick", "Collection",
    "CollectionEntry", "Department", "HelpfulVote", "Item", "ItemImage", "Notification", "MediaFile", "Moment", "Skill",
    "User", "champion_departments", "user_skills",
    "UserIdentity", "UserSession",
    "Endorsement", "Experiment", "Membership", "Post", "PostVote", "Space", "Thread",
]
from marketplace.followups.models import FollowUp, FollowUpSetting, UsedLink  # noqa: F401,E402  (impact issue)
from marketplace.impact import models as _impact_models  # noqa: F401,E402  (registers the tables)
from marketplace.impact import rollup_models as _impact_rollups  # noqa: F401,E402
