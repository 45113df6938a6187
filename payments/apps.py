from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "payments"
    verbose_name = "Payments"

    def ready(self) -> None:
        # Register the Celery tasks in every process (web included): services enqueue them by
        # name from Celery's registry rather than importing this module (no import cycle).
        from payments import tasks  # noqa: F401
