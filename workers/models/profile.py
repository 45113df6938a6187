"""The worker side of a user: what the platform knows about a person who takes tasks."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class WorkerProfile(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="worker_profile"
    )
    display_name = models.CharField(max_length=100, blank=True)
    country = models.CharField(max_length=2, blank=True, help_text="ISO 3166-1 alpha-2 code")
    languages = models.CharField(
        max_length=100, blank=True, help_text="Comma-separated language codes, e.g. en,de"
    )
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return self.display_name or self.user.email
