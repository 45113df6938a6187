"""Creating users and giving them their role. The only writer of roles and requester accounts."""

from django.db import transaction

from accounts.models import RequesterAccount, Role, User
from accounts.signals import role_assigned


def requester_account_create(*, name: str) -> RequesterAccount:
    name = name.strip()
    if not name:
        raise ValueError("An organisation name is required for a requester.")
    return RequesterAccount.objects.create(name=name)


@transaction.atomic
def user_assign_role(
    *, user: User, role: str, organisation_name: str = "", display_name: str = ""
) -> User:
    """Give a just-created user their role: a requester gets a new requester account (the
    organisation); a worker gets a worker profile from the workers app, which receives
    ``role_assigned`` in this transaction. Sends the welcome email after commit."""
    from accounts.tasks import send_welcome_email

    if role not in (Role.REQUESTER, Role.WORKER):
        raise ValueError(f"Sign-up role must be requester or worker, not {role!r}.")
    user.role = role
    if role == Role.REQUESTER:
        user.requester_account = requester_account_create(name=organisation_name)
    user.save(update_fields=["role", "requester_account"])
    role_assigned.send(sender=User, user=user, role=role, display_name=display_name)
    transaction.on_commit(lambda: send_welcome_email.delay(user.pk))
    return user


@transaction.atomic
def user_create(
    *,
    email: str,
    password: str,
    role: str,
    organisation_name: str = "",
    full_name: str = "",
    requester_account: RequesterAccount | None = None,
) -> User:
    """Create a user outside the sign-up form (seeds, admin tools, tests). A requester joins
    ``requester_account`` when given, otherwise a new organisation named ``organisation_name``."""
    if role == Role.STAFF:
        return User.objects.create_superuser(email=email, password=password, full_name=full_name)
    user = User.objects.create_user(email=email, password=password, full_name=full_name)
    if role == Role.REQUESTER and requester_account is not None:
        user.role = Role.REQUESTER
        user.requester_account = requester_account
        user.save(update_fields=["role", "requester_account"])
        return user
    return user_assign_role(user=user, role=role, organisation_name=organisation_name)
