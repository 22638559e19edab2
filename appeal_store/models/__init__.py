"""Every model of the hotline; importing this package registers all tables on Base.metadata."""

from .appeals import (
    APPEAL_STATUSES,
    APPEAL_TYPES,
    CHANNELS,
    CONTROL_OUTCOMES,
    DELIVERY_KINDS,
    DELIVERY_STATUSES,
    PG_ONLY_INDEXES,
    Appeal,
    AppealEvent,
    Applicant,
    ControlCall,
    Delivery,
    RoutingDecision,
)
from .audit import AuditLog
from .base import Base, TimestampMixin, UTCDateTime, utcnow
from .calls import (
    CALL_STATUSES,
    CALLBACK_STATUSES,
    AgentStateEvent,
    Call,
    Callback,
    CallbackAttempt,
    CallEvent,
)
from .counters import NumberCounter
from .media import RECORDING_KINDS, TRANSCRIPT_STATUSES, QAScore, Recording, Transcript
from .reference import BODY_KINDS, Region, RoutingRule, StateBody, Topic
from .users import ROLES, QueueMembership, User

metadata = Base.metadata

__all__ = [
    "APPEAL_STATUSES",
    "APPEAL_TYPES",
    "BODY_KINDS",
    "CALLBACK_STATUSES",
    "CALL_STATUSES",
    "CHANNELS",
    "CONTROL_OUTCOMES",
    "DELIVERY_KINDS",
    "DELIVERY_STATUSES",
    "PG_ONLY_INDEXES",
    "RECORDING_KINDS",
    "ROLES",
    "TRANSCRIPT_STATUSES",
    "AgentStateEvent",
    "Appeal",
    "AppealEvent",
    "Applicant",
    "AuditLog",
    "Base",
    "Call",
    "CallEvent",
    "Callback",
    "CallbackAttempt",
    "ControlCall",
    "Delivery",
    "NumberCounter",
    "QAScore",
    "QueueMembership",
    "Recording",
    "Region",
    "RoutingDecision",
    "RoutingRule",
    "StateBody",
    "TimestampMixin",
    "Topic",
    "Transcript",
    "UTCDateTime",
    "User",
    "metadata",
    "utcnow",
]
