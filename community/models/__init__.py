"""All models, imported here so Alembic and the app see one complete metadata."""
from .accounts import ExternalRef, RevokedLogin, Role, STAFF_ROLES, UsedToken, User
from .api_tokens import ApiToken, TokenKind
from .attachments import Attachment
from .answers import AcceptedAnswer, AcceptReminder, HelpfulVote, SameProblem, VerifiedAnswer
from .base import Base, utcnow
from .drafts import Draft
from .bridge import (
    BridgeAccountLink,
    BridgeCannedResponse,
    BridgeCase,
    BridgeCursor,
    BridgeInvite,
    BridgeJoinRejection,
    BridgeOptOut,
    BridgeOutbound,
    BridgePollLog,
    BridgePost,
    CaseStatus,
    LabelSource,
)
from .identity import IdentityLink, IdentityLogin, IdentityProvider
from .forum import (
    Category,
    CategorySlug,
    Post,
    PostRevision,
    Tag,
    Thread,
    ThreadState,
    Visibility,
    thread_tags,
)
from .metrics import CsatSurvey, PostSentiment, SlaBreach, SlaTarget, ThreadFacts
from .moderation import FLAG_REASON_LABELS, AuditEntry, Flag, FlagReason, WatchedWord
from .notifications import (
    EmailFrequency,
    Follow,
    Notification,
    NotificationChannel,
    NotificationDigest,
    NotificationPreference,
    NotificationSettings,
)
from .scheduling import ScheduledRun
from .search import DeflectionEvent, SearchDocumentRow, SearchEvent, SearchOutbox, SearchRank, SearchWord
from .settings import SiteSetting
from .watching import CategoryWatch, TagWatch, ThreadRead, WatchLevel
from .webhooks import DeliveryState, WebhookDelivery, WebhookEndpoint, WebhookEvent
from .widgets import Widget, WidgetEventCount, WidgetKind, WidgetSort, WidgetTheme, widget_categories

__all__ = [
    "Base", "utcnow", "Draft", "ApiToken", "TokenKind", "Attachment", "User", "Role", "STAFF_ROLES", "UsedToken", "RevokedLogin", "ExternalRef",
    "Category", "CategorySlug", "Thread", "ThreadState", "Post", "PostRevision", "Tag",
    "Visibility", "thread_tags", "SiteSetting",
    "ScheduledRun", "SearchOutbox", "SearchDocumentRow", "SearchRank", "SearchEvent", "SearchWord", "DeflectionEvent",
    "AuditEntry", "Follow",
    "AcceptedAnswer", "VerifiedAnswer", "SameProblem", "HelpfulVote", "AcceptReminder",
    "Notification", "NotificationChannel", "NotificationPreference", "NotificationSettings",
    "NotificationDigest", "EmailFrequency",
    "Flag", "FlagReason", "FLAG_REASON_LABELS", "WatchedWord",
    "ThreadFacts", "PostSentiment", "SlaTarget", "SlaBreach", "CsatSurvey",
    "CategoryWatch", "TagWatch", "ThreadRead", "WatchLevel",
    "IdentityProvider", "IdentityLink", "IdentityLogin",
    "Widget", "WidgetEventCount", "WidgetKind", "WidgetSort", "WidgetTheme", "widget_categories",
]
