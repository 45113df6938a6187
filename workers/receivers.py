"""What the workforce side does when a lower layer says something happened (connected in
``WorkersConfig.ready()``; the lower layers never import this app)."""

from accounts.models import Role
from accounts.signals import role_assigned
from workers.models import WorkerProfile


def worker_profile_create(sender, *, user, role, display_name="", **kwargs) -> None:
    """Every worker has a profile from the moment they get the role."""
    if role == Role.WORKER:
        WorkerProfile.objects.get_or_create(
            user=user, defaults={"display_name": display_name or user.full_name}
        )


def connect() -> None:
    role_assigned.connect(worker_profile_create, dispatch_uid="workers.worker_profile_create")
