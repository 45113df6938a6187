"""New projects aggregate with ``auto`` (docs/aggregation.md; existing projects keep their
method); ``Project.aggregated_answers`` marks what the last aggregation counted; and the
periodic sweep that re-aggregates changed projects is registered with django-celery-beat
(every ten minutes, idempotent)."""

from django.db import migrations, models

TASK_NAME = "marketplace.aggregate_changed_projects"
SCHEDULE_NAME = "Re-aggregate active projects with new answers"


def register(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    every_ten_minutes, _ = IntervalSchedule.objects.get_or_create(every=600, period="seconds")
    PeriodicTask.objects.update_or_create(
        name=SCHEDULE_NAME,
        defaults={"task": TASK_NAME, "interval": every_ten_minutes, "enabled": True},
    )


def unregister(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=SCHEDULE_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("marketplace", "0007_task_project_id_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="project",
            name="aggregated_answers",
            field=models.IntegerField(default=0),
        ),
        migrations.AlterField(
            model_name="project",
            name="aggregation_method",
            field=models.CharField(default="auto", max_length=16),
        ),
        migrations.RunPython(register, unregister),
    ]
