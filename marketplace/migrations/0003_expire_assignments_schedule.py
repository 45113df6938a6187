"""Register the assignment expiry sweeper with django-celery-beat: every minute.

Idempotent (update_or_create), so re-running it or editing the schedule in the admin is safe.
"""

from django.db import migrations

TASK_NAME = "marketplace.expire_assignments"
SCHEDULE_NAME = "Expire abandoned assignments"


def register(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    every_minute, _ = IntervalSchedule.objects.get_or_create(every=60, period="seconds")
    PeriodicTask.objects.update_or_create(
        name=SCHEDULE_NAME,
        defaults={"task": TASK_NAME, "interval": every_minute, "enabled": True},
    )


def unregister(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name=SCHEDULE_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("marketplace", "0002_assignment"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(register, unregister)]
