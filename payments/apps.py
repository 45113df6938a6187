from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "payments"
    verbose_name = "Payments"

    def ready(self) -> None:
        # Register this app's Celery tasks when the process starts (web included), so services
        # can queue them by name (config.celery.task_send) and the memory they bring is paid
        # at start-up, not inside the first request that queues one.
        from payments import tasks  # noqa: F401
