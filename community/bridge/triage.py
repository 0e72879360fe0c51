"""Route: the staff triage inbox of the X bridge. Cases are listed by priority and acted on with a
compare-and-set on their version, so two staff members never both act on one case: the second gets
a Conflict naming what the first did.

Priority (higher first), documented for staff on the inbox page:

    priority = 100 × complaint score            (0..100: complaints first)
             + 8 × log10(1 + author followers)  (reach: 1k followers ≈ 24, 1M ≈ 48)
             + min(age in hours, 48)            (older cases climb, capped at two days)

so a likely complaint always outranks a neutral post, reach breaks ties between similar posts,
and nothing waits forever behind newer posts.
"""
from __future__ import annotations

from functools import partial

import csv
import math
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Optional

from sqlalchemy import Select, select, update

from .. import policies
from .classify import LABELS
from ..errors import Conflict, NotFound, ValidationFailed
from ..extensions import db
from ..models import BridgeCannedResponse, BridgeCase, CaseStatus, User, utcnow
from ..models.bridge import LabelSource
from ..services import audit
from .opt_outs import opt_out_author

LIMIT = 200
OPEN_STATUSES = (CaseStatus.new, CaseStatus.triaged)
STATUS_FILTERS = ("open", *(status.value for status in CaseStatus), "all")
SUMMONED_FILTERS = ("any", "yes", "no")
ASSIGNED_FILTERS = ("any", "me", "unassigned")
ACTIONS = {"ignore": CaseStatus.ignored, "spam": CaseStatus.spam, "opt_out": CaseStatus.opted_out,
           "reopen": CaseStatus.new}
STATUS_WORDS = {
    CaseStatus.new: "new", CaseStatus.triaged: "triaged", CaseStatus.invited: "invited",
    CaseStatus.replied: "replied to", CaseStatus.ignored: "ignored", CaseStatus.spam: "marked as spam",
    CaseStatus.opted_out: "opted out", CaseStatus.linked: "linked to a thread", CaseStatus.solved: "solved",
}


@dataclass(frozen=True)
class InboxFilters:
    label: str = "any"
    status: str = "open"
    summoned: str = "any"
    assigned: str = "any"

    @classmethod
    def parse(cls, args) -> "InboxFilters":
        def pick(name: str, allowed: tuple[str, ...], default: str) -> str:
            value = (args.get(name) or default).strip()
            return value if value in allowed else default

        return cls(pick("label", ("any", *LABELS), "any"), pick("status", STATUS_FILTERS, "open"),
                   pick("summoned", SUMMONED_FILTERS, "any"), pick("assigned", ASSIGNED_FILTERS, "any"))


require_triage = partial(policies.ensure, policies.can_triage_bridge, message="The X bridge inbox is for staff only.")


def priority(case: BridgeCase, now: datetime | None = None) -> float:
    age_hours = max(0.0, ((now or utcnow()) - case.detected_at).total_seconds() / 3600)
    reach = 8 * math.log10(1 + (case.author_followers or 0))
    return round(100 * (case.complaint_score or 0.0) + reach + min(age_hours, 48.0), 1)


def _filtered(user: User, filters: InboxFilters) -> Select:
    query = select(BridgeCase)
    if filters.label != "any":
        query = query.where(BridgeCase.label == filters.label)
    if filters.status == "open":
        query = query.where(BridgeCase.status.in_(OPEN_STATUSES))
    elif filters.status != "all":
        query = query.where(BridgeCase.status == CaseStatus(filters.status))
    if filters.summoned != "any":
        query = query.where(BridgeCase.summoned.is_(filters.summoned == "yes"))
    if filters.assigned == "me":
        query = query.where(BridgeCase.assigned_to_id == user.id)
    elif filters.assigned == "unassigned":
        query = query.where(BridgeCase.assigned_to_id.is_(None))
    return query


def inbox(user: Optional[User], filters: InboxFilters) -> list[BridgeCase]:
    """The newest LIMIT matching cases, highest priority first."""
    require_triage(user)
    query = _filtered(user, filters).order_by(BridgeCase.last_post_at.desc(), BridgeCase.id.desc()).limit(LIMIT)
    now = utcnow()
    return sorted(db.session.scalars(query), key=lambda case: (-priority(case, now), case.id))


def get_case(user: Optional[User], case_id: int) -> BridgeCase:
    require_triage(user)
    case = db.session.get(BridgeCase, case_id)
    if case is None:
        raise NotFound("There is no such case.")
    return case


def case_conflict(case_id: int) -> Conflict:
    db.session.rollback()
    case = db.session.get(BridgeCase, case_id)
    db.session.refresh(case)
    who = f", assigned to {case.assigned_to.display_name}" if case.assigned_to else ""
    return Conflict(f"Someone else acted on this case first: it is now {STATUS_WORDS[case.status]}{who}. "
                    "Reload to see the current state before acting.")


def compare_and_set(case_id: int, seen_version: int, **changes) -> BridgeCase:
    """Apply changes only if nobody changed the case since `seen_version`; else Conflict."""
    result = db.session.execute(
        update(BridgeCase).where(BridgeCase.id == case_id, BridgeCase.version == seen_version)
        .values(version=BridgeCase.version + 1, **changes)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise case_conflict(case_id)
    case = db.session.get(BridgeCase, case_id)
    db.session.refresh(case)
    return case


def _triage_time(case: BridgeCase) -> datetime:
    return case.triaged_at or utcnow()


def act(user: Optional[User], case_id: int, action: str, seen_version: int) -> BridgeCase:
    """ignore, spam, opt_out or reopen a case. Audited."""
    case = get_case(user, case_id)
    if action not in ACTIONS:
        raise ValidationFailed("Unknown action.", fields={"action": "Pick ignore, spam, opt out or reopen."})
    before = case.status.value
    changes = {"status": ACTIONS[action], "triaged_at": _triage_time(case)}
    case = compare_and_set(case_id, seen_version, **changes)
    if action == "opt_out":
        opt_out_author(case.author_id, case.author_username, reason="staff")
    audit.record(user, f"bridge.case_{action}", "bridge_case", case.id, before={"status": before},
                 after={"status": ACTIONS[action].value})
    db.session.commit()
    return case


def set_label(user: Optional[User], case_id: int, label: str, seen_version: int,
              canned_id: int | None = None) -> BridgeCase:
    """Staff confirm or correct the label (it then trains the classifier) and may pick a canned response."""
    case = get_case(user, case_id)
    if label not in LABELS:
        raise ValidationFailed("Pick a label.", fields={"label": f"One of: {', '.join(LABELS)}."})
    if canned_id is not None and db.session.get(BridgeCannedResponse, canned_id) is None:
        raise ValidationFailed("That canned response is gone.", fields={"canned": "Pick another template."})
    before = {"label": case.label, "status": case.status.value}
    status = CaseStatus.triaged if case.status == CaseStatus.new else case.status
    case = compare_and_set(case_id, seen_version, label=label, label_source=LabelSource.staff, status=status,
                            canned_response_id=canned_id, triaged_at=_triage_time(case))
    audit.record(user, "bridge.case_label", "bridge_case", case.id, before=before,
                 after={"label": label, "status": status.value, "canned_response_id": canned_id})
    db.session.commit()
    return case


def assign(user: Optional[User], case_id: int, assignee_id: int | None, seen_version: int) -> BridgeCase:
    case = get_case(user, case_id)
    assignee = db.session.get(User, assignee_id) if assignee_id is not None else None
    if assignee_id is not None and (assignee is None or not policies.is_staff(assignee)):
        raise ValidationFailed("Cases can only be assigned to staff.", fields={"assignee": "Pick a staff member."})
    before = case.assigned_to_id
    case = compare_and_set(case_id, seen_version, assigned_to_id=assignee_id)
    audit.record(user, "bridge.case_assign", "bridge_case", case.id, before={"assigned_to_id": before},
                 after={"assigned_to_id": assignee_id})
    db.session.commit()
    return case


# --- training data ------------------------------------------------------------------------------


def labelled_examples() -> list[tuple[str, str]]:
    """(text, label) of every case whose label staff set or confirmed, from its latest unpurged post."""
    query = select(BridgeCase).where(BridgeCase.label_source == LabelSource.staff).order_by(BridgeCase.id)
    examples = []
    for case in db.session.scalars(query):
        texts = [post.text for post in case.posts if post.text]
        if texts:
            examples.append((texts[-1], case.label))
    return examples


def export_labels(path: Path) -> int:
    """Write the staff labels as CSV text,label (UTF-8, header): what `flask bridge train` reads."""
    examples = labelled_examples()
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "label"])
        writer.writerows(examples)
    return len(examples)
