"""Register the auto-approval job with django-celery-beat: every five minutes. Idempotent."""

from django.db import migrations

TASK_NAME = "marketplace.auto_approve_assignments"
SCHEDULE_NAME = "Auto-approve answers past their project's delay"


def register(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    every_five_minutes, _ = IntervalSchedule.objects.get_or_create(every=300, period="seconds")
    PeriodicTask.objects.update_or_create(
        name=SCHEDULE_NAME,
        defaults={"task": TASK_NAME, "interval": every_five_minutes, "enabled": True},
    )


def unregister(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=SCHEDULE_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [("marketplace", "0004_task_db_defaults")]

    operations = [migrations.RunPython(register, unregister)]
