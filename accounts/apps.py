from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        # Register this app's Celery tasks when the process starts (web included), so services
        # can queue them by name (config.celery.task_send) and the memory they bring is paid
        # at start-up, not inside the first request that queues one.
        from django.db.models.signals import post_save

        from accounts import tasks  # noqa: F401
        from accounts.authentication import user_saved
        from accounts.models import User

        # A change of role or active/staff flags reaches the token cache at once.
        post_save.connect(user_saved, sender=User, dispatch_uid="accounts.token_cache_refresh")
