"""The worker's task feed over the API: what the web feed shows, plus what a custom front-end
needs to render and answer tasks (label config, instructions, keyboard shortcuts)."""

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import IsWorker
from marketplace.markdown import render_markdown
from marketplace.task_types import task_type
from workers.selectors.feed import FeedEntry, task_feed_for_worker


class FeedProjectSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    description = serializers.CharField()
    template_type = serializers.CharField()
    label_config = serializers.JSONField(help_text="The validated label config of the project.")
    instructions = serializers.CharField(help_text="Markdown, as the requester wrote it.")
    instructions_html = serializers.CharField(help_text="The instructions, rendered and safe.")
    reward_cents = serializers.IntegerField()
    time_limit_seconds = serializers.IntegerField()
    shortcuts = serializers.DictField(
        child=serializers.JSONField(), help_text="Keyboard key -> the answer value it picks."
    )


class FeedEntrySerializer(serializers.Serializer):
    project = FeedProjectSerializer()
    tasks_remaining = serializers.IntegerField(
        help_text=(
            "Open tasks this worker has not had and could be given, gold checks included "
            "(1001 means more than 1000)."
        )
    )
    live_assignment = serializers.IntegerField(
        allow_null=True, help_text="An unexpired assignment of this worker to resume, if any."
    )
    typical_task_seconds = serializers.IntegerField(
        allow_null=True,
        help_text="Workers' median answer times here, averaged; null before any answer.",
    )
    hourly_rate_cents = serializers.IntegerField(
        allow_null=True, help_text="The reward per hour at that pace, in whole cents."
    )
    accuracy = inline_serializer(
        "FeedAccuracy",
        {
            "answered": serializers.IntegerField(),
            "correct": serializers.IntegerField(),
            "percent": serializers.IntegerField(),
            "answers_until_update": serializers.IntegerField(
                help_text="Answers (of any kind) until the figure is next updated."
            ),
        },
        allow_null=True,
        help_text=(
            "Gold checks in this project, counted over closed windows of answers (updated "
            "every so many answers, not after each); null before a window with a check."
        ),
    )


def _entry(entry: FeedEntry) -> dict:
    project = entry.project
    accuracy = entry.accuracy
    return {
        "project": {
            "id": project.pk,
            "title": project.title,
            "description": project.description,
            "template_type": project.template_type,
            "label_config": project.label_config,
            "instructions": project.instructions,
            "instructions_html": str(render_markdown(project.instructions)),
            "reward_cents": project.reward_cents,
            "time_limit_seconds": project.time_limit_seconds,
            "shortcuts": task_type(project.template_type).shortcuts(project.label_config),
        },
        "tasks_remaining": entry.tasks_remaining,
        "live_assignment": entry.live_assignment,
        "typical_task_seconds": entry.typical_seconds,
        "hourly_rate_cents": entry.hourly_cents,
        "accuracy": None
        if accuracy is None
        else {
            "answered": accuracy.answered,
            "correct": accuracy.correct,
            "percent": accuracy.percent,
            "answers_until_update": accuracy.answers_until_update,
        },
    }


class TaskFeedApi(APIView):
    permission_classes = [IsWorker]

    @extend_schema(
        summary="The worker's task feed",
        description=(
            "Active projects with work for this worker (or an assignment to resume), highest "
            "priority first: reward, time limit, tasks remaining for them, their accuracy on "
            "gold checks there (over closed windows of answers), and the label config to "
            "render tasks. Claim with `POST /api/v1/assignments/claim/ {project}`."
        ),
        responses=FeedEntrySerializer(many=True),
    )
    def get(self, request):
        entries = task_feed_for_worker(worker=request.user)
        return Response([_entry(entry) for entry in entries])
