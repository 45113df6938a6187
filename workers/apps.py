from django.apps import AppConfig


class WorkersConfig(AppConfig):
    name = "workers"
    verbose_name = "Workers"

    def ready(self) -> None:
        from payments.signals import payout_failed
        from workers.receivers import payout_failed_notify

        payout_failed.connect(payout_failed_notify, dispatch_uid="workers.payout_failed_notify")
