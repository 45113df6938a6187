from django.apps import AppConfig


class WorkersConfig(AppConfig):
    name = "workers"
    verbose_name = "Workers"

    def ready(self) -> None:
        # Lower layers own the interfaces; the workforce side fills them in (docs/architecture.md).
        from marketplace.eligibility import eligibility_policy_register
        from workers import eligibility, receivers

        eligibility_policy_register(eligibility)
        receivers.connect()
