"""What the workforce side does when a lower layer says something happened (connected in
``WorkersConfig.ready()``; the lower layers never import this app)."""

from accounts.models import Role
from accounts.signals import role_assigned
from payments import money
from payments.signals import payout_failed
from workers.models import WorkerProfile
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


def connect() -> None:
    role_assigned.connect(worker_profile_create, dispatch_uid="workers.worker_profile_create")
    payout_failed.connect(payout_failed_notify, dispatch_uid="workers.payout_failed_notify")
