"""Review of quality-rule flags and blocks (marketplace.QualityAction) by staff and requesters.

Confirm a block: it stays. Dismiss a block: it is lifted (the worker may claim the project's
tasks again). Confirm a flag: escalate it to a project block or (staff only) a platform
suspension. Dismiss a flag: a false positive, nothing changes for the worker. Every review is one
``QualityReview`` row plus one audit entry, written in the transaction that applies the outcome.

Preconditions: the caller found the action through workers.selectors.quality (tenancy); the
service checks the actor's right again because it also runs from the API.
"""

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from marketplace.models import ProjectBlock, QualityAction, QualityActionKind, QualityRule
from marketplace.services.quality import QualityError, worker_block, worker_unblock
from workers.eligibility import eligibility_invalidate
from workers.models import REVIEWABLE_KINDS, AuditAction, QualityReview, ReviewDecision
from workers.services import moderation
from workers.services.audit import audit_record
from workers.services.errors import InvalidInput, NotAllowed, NotFound, WorkforceError
from workers.services.notifications import notification_create

ESCALATIONS = ("project_block", "suspension")


def _decide(action: QualityAction, confirm: bool, escalate_to: str, actor: User) -> str:
    """The decision for this action, or a clear refusal (which field, why)."""
    if action.action == QualityActionKind.BLOCK:
        if escalate_to:
            raise InvalidInput(
                "A block is confirmed as it is; only flags escalate.",
                fields={"escalate_to": ["Leave empty for a block."]},
            )
        return ReviewDecision.KEEP_BLOCK if confirm else ReviewDecision.LIFT_BLOCK
    if not confirm:
        if escalate_to:
            raise InvalidInput(
                "Dismissing a flag does not escalate it.",
                fields={"escalate_to": ["Leave empty when dismissing."]},
            )
        return ReviewDecision.FALSE_POSITIVE
    if escalate_to not in ESCALATIONS:
        raise InvalidInput(
            "Confirming a flag escalates it: choose a project block or a suspension.",
            fields={"escalate_to": [f"One of: {', '.join(ESCALATIONS)}."]},
        )
    if escalate_to == "suspension":
        if not actor.is_staff:
            raise NotAllowed("Only staff suspend workers; block them from the project instead.")
        return ReviewDecision.ESCALATE_SUSPENSION
    return ReviewDecision.ESCALATE_BLOCK


def _apply(decision: str, action: QualityAction, actor: User, reason: str) -> None:
    project, worker = action.project, action.worker
    if decision == ReviewDecision.LIFT_BLOCK:
        worker_unblock(project=project, worker=worker, by=actor)
        notification_create(
            worker=worker, text=f"Your block from “{project.title}” was lifted: {reason}"
        )
    elif decision == ReviewDecision.ESCALATE_BLOCK:
        if not ProjectBlock.objects.filter(project=project, worker=worker).exists():
            try:
                worker_block(project=project, worker=worker, reason=reason, by=actor)
            except QualityError as error:  # blocked concurrently: the outcome holds
                if "already blocked" not in str(error):
                    raise WorkforceError(str(error)) from None
            notification_create(
                worker=worker, text=f"You were blocked from “{project.title}”: {reason}"
            )
    elif decision == ReviewDecision.ESCALATE_SUSPENSION:
        moderation.worker_suspend(actor=actor, worker=worker, reason=reason)
    transaction.on_commit(lambda: eligibility_invalidate(worker_id=worker.pk))


@transaction.atomic
def quality_action_review(
    *,
    actor: User,
    quality_action_id: int,
    confirm: bool,
    reason: str,
    escalate_to: str = "",
    now: datetime | None = None,
) -> QualityReview:
    """Confirm or dismiss one flag or block. Under the action's row lock, so two reviewers
    clicking at once produce one review (the second gets a conflict naming the first)."""
    if not (actor.is_staff or actor.is_requester):
        raise NotAllowed("Only staff and requesters review quality flags.")
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("A reason is required.", fields={"reason": ["This field is required."]})
    action = (
        QualityAction.objects.select_for_update(of=("self",))
        .select_related("project", "worker")
        .filter(pk=quality_action_id)
        .first()
    )
    if action is None or not (
        actor.is_staff or action.project.account_id == actor.requester_account_id
    ):
        raise NotFound("No such flag or block.")
    if action.action not in REVIEWABLE_KINDS or action.rule == QualityRule.MANUAL:
        raise InvalidInput("Only flags and blocks of quality rules are reviewed.")
    earlier = QualityReview.objects.filter(quality_action=action).select_related("reviewed_by")
    if earlier.exists():
        review = earlier.get()
        raise WorkforceError(
            f"Already reviewed by {review.reviewed_by.email if review.reviewed_by else 'someone'} "
            f"on {review.reviewed_at:%Y-%m-%d %H:%M}: {review.get_decision_display()}."
        )
    decision = _decide(action, confirm, escalate_to, actor)
    if decision in (ReviewDecision.KEEP_BLOCK, ReviewDecision.LIFT_BLOCK):
        block = (
            ProjectBlock.objects.select_for_update()
            .filter(project=action.project, worker=action.worker)
            .first()
        )
        if block is None:
            raise WorkforceError(
                "This block was lifted already; block the worker again from the project's "
                "Workers page if needed."
            )
    _apply(decision, action, actor, reason)
    review = QualityReview.objects.create(
        quality_action=action,
        decision=decision,
        reason=reason,
        reviewed_by=actor,
        account_id=None if actor.is_staff else actor.requester_account_id,
        reviewed_at=now or timezone.now(),
    )
    audit_record(
        actor=actor,
        action=AuditAction.QUALITY_REVIEW,
        worker=action.worker,
        reason=reason,
        details={
            "quality_action": action.pk,
            "project": action.project_id,
            "rule": action.rule,
            "kind": action.action,
            "decision": decision,
        },
    )
    return review
