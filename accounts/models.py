"""Users log in by email and have one role; requesters belong to a requester account."""

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.utils import timezone


class Role(models.TextChoices):
    REQUESTER = "requester", "Requester"
    WORKER = "worker", "Worker"
    STAFF = "staff", "Staff"


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields.update(is_staff=True, is_superuser=True, role=Role.STAFF)
        return self._create_user(email, password, **extra_fields)


class RequesterAccount(models.Model):
    """An organisation that posts work. Its members share its projects and funds."""

    name = models.CharField(max_length=200)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class User(AbstractBaseUser, PermissionsMixin):
    email = models.EmailField(unique=True)
    full_name = models.CharField(max_length=200, blank=True)
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.WORKER)
    requester_account = models.ForeignKey(
        RequesterAccount,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="members",
    )
    is_staff = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        constraints = [
            # A requester always acts for an organisation; other roles never do.
            models.CheckConstraint(
                condition=(
                    models.Q(role="requester", requester_account__isnull=False)
                    | (~models.Q(role="requester") & models.Q(requester_account__isnull=True))
                ),
                name="user_requester_has_account",
            ),
        ]

    def __str__(self):
        return self.email

    @property
    def is_requester(self) -> bool:
        return self.role == Role.REQUESTER

    @property
    def is_worker(self) -> bool:
        return self.role == Role.WORKER
