"""Register the payout and reconciliation jobs with django-celery-beat. Idempotent."""

from django.db import migrations

SCHEDULES = [
    # (name, task, seconds)
    ("Re-send stuck Stripe payouts", "payments.payouts_sweep", 60),
    ("Automatic payouts (when PAYOUTS_AUTOMATIC is on)", "payments.payouts_automatic", 86_400),
    ("Reconcile the ledger with Stripe", "payments.reconcile", 3_600),
]


def register(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    for name, task, seconds in SCHEDULES:
        interval, _ = IntervalSchedule.objects.get_or_create(every=seconds, period="seconds")
        PeriodicTask.objects.update_or_create(
            name=name, defaults={"task": task, "interval": interval, "enabled": True}
        )


def unregister(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name__in=[name for name, _, _ in SCHEDULES]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("payments", "0006_connect_payouts_refunds_reconciliation"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(register, unregister)]
