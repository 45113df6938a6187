"""What the workforce side does when a lower layer says something happened, and what it answers
when a lower layer asks (connected in ``WorkersConfig.ready()``; the lower layers never import
this app)."""

from accounts.access import access_hold_source_register
from accounts.models import Role
from accounts.signals import role_assigned
from payments import money
from payments.payout_holds import payout_hold_source_register
from payments.signals import payout_failed
from workers.models import WorkerProfile, WorkerSuspension
from workers.services.notifications import notification_create


def worker_profile_create(sender, *, user, role, display_name="", **kwargs) -> None:
    """``accounts.signals.role_assigned``: every worker has a profile from the moment they get
    the role."""
    if role == Role.WORKER:
        WorkerProfile.objects.get_or_create(
            user=user, defaults={"display_name": display_name or user.full_name}
        )


def payout_failed_notify(sender, *, payout, message: str, **kwargs) -> None:
    """``payments.signals.payout_failed``: tell the worker why the money is back."""
    notification_create(
        worker=payout.worker,
        text=(
            f"Your payout of {money.format_cents(payout.amount_cents)} could not be sent "
            f"({message[:200]}). The amount is back in your balance; check your payout account "
            "and ask again."
        ),
    )


def _suspended(user) -> bool:
    return WorkerSuspension.objects.filter(worker_id=user.pk, lifted_at__isnull=True).exists()


def payout_hold_suspension(*, worker) -> list[str]:
    """``payments.payout_holds``: a suspended worker is not paid out until the suspension is
    lifted (the money stays in their balance)."""
    if _suspended(worker):
        return ["Your account is suspended; payouts resume when the suspension is lifted."]
    return []


def access_hold_suspension(*, user) -> list[str]:
    """``accounts.access``: a suspended worker's API tokens are refused until the suspension is
    lifted (``workers.services.moderation`` refreshes the token cache on both)."""
    if user.is_worker and _suspended(user):
        return ["the account is suspended."]
    return []


def connect() -> None:
    role_assigned.connect(worker_profile_create, dispatch_uid="workers.worker_profile_create")
    payout_failed.connect(payout_failed_notify, dispatch_uid="workers.payout_failed_notify")
    payout_hold_source_register("workers.suspension", payout_hold_suspension)
    access_hold_source_register("workers.suspension", access_hold_suspension)
