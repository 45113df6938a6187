"""Workforce API serializers. Worker-facing ones (``QualificationPublicSerializer``,
``QuestionPublicSerializer``, ``AttemptSerializer``) have no answer-key field; only the owner's
``QuestionSerializer`` carries it."""

from rest_framework import serializers

from accounts.models import User
from workers.models import (
    AuditLogEntry,
    Notification,
    ProjectRequirement,
    QualificationAttempt,
    QualificationKind,
    QualificationQuestion,
    QualificationType,
    WorkerQualification,
)


class QualificationPublicSerializer(serializers.ModelSerializer):
    owner = serializers.SerializerMethodField()
    question_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = QualificationType
        fields = [
            "id",
            "name",
            "description",
            "kind",
            "owner",
            "passing_score",
            "time_limit_seconds",
            "retake_delay_seconds",
            "max_attempts",
            "validity_days",
            "show_feedback",
            "question_count",
        ]

    def get_owner(self, qualification) -> str:
        return qualification.account.name if qualification.account_id else "Quorum (platform)"


class QualificationSerializer(QualificationPublicSerializer):
    """The owner's view and input."""

    class Meta(QualificationPublicSerializer.Meta):
        fields = [*QualificationPublicSerializer.Meta.fields, "auto_value", "is_active"]


class QuestionPublicSerializer(serializers.ModelSerializer):
    """A test question as the worker sees it: no answer key, no explanation."""

    class Meta:
        model = QualificationQuestion
        fields = ["id", "position", "template_type", "label_config", "data"]


class QuestionSerializer(serializers.ModelSerializer):
    class Meta:
        model = QualificationQuestion
        fields = [
            "id",
            "position",
            "template_type",
            "label_config",
            "data",
            "answer_key",
            "explanation",
        ]
        read_only_fields = ["id", "position"]


class AttemptSerializer(serializers.ModelSerializer):
    """The worker's attempt: the questions while it is open, feedback (right/wrong and the
    explanation, never the key) once finished if the owner allows it."""

    questions = serializers.SerializerMethodField()
    feedback = serializers.SerializerMethodField()

    class Meta:
        model = QualificationAttempt
        fields = [
            "id",
            "qualification",
            "started_at",
            "deadline_at",
            "finished_at",
            "score",
            "passed",
            "timed_out",
            "questions",
            "feedback",
        ]

    def get_questions(self, attempt) -> list[dict]:
        if not attempt.is_open:
            return []
        return QuestionPublicSerializer(attempt.qualification.questions.all(), many=True).data

    def get_feedback(self, attempt) -> list[dict]:
        qualification = attempt.qualification
        if attempt.is_open or not (
            qualification.show_feedback or qualification.kind == QualificationKind.TRAINING
        ):
            return []
        return [
            {
                "question": question.pk,
                "correct": bool(attempt.results.get(str(question.pk))),
                "explanation": question.explanation,
            }
            for question in attempt.qualification.questions.all()
        ]


class GrantSerializer(serializers.ModelSerializer):
    worker_email = serializers.EmailField(source="worker.email", read_only=True)
    qualification_name = serializers.CharField(source="qualification.name", read_only=True)

    class Meta:
        model = WorkerQualification
        fields = [
            "id",
            "worker",
            "worker_email",
            "qualification",
            "qualification_name",
            "value",
            "granted_at",
            "expires_at",
            "revoked_at",
            "reason",
        ]


class RequirementSerializer(serializers.ModelSerializer):
    class Meta:
        model = ProjectRequirement
        fields = ["id", "project", "kind", "qualification", "value", "locales"]
        read_only_fields = ["id", "project"]


class ReasonSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    qualification_id = serializers.IntegerField(allow_null=True)
    qualification_name = serializers.CharField()
    unlock = serializers.CharField(help_text="take_test, request, granted_by_requester or empty")


class NotificationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Notification
        fields = ["id", "text", "created_at", "read_at"]


class WorkerSummarySerializer(serializers.ModelSerializer):
    display_name = serializers.CharField(source="worker_profile.display_name", default="")
    answers = serializers.IntegerField()
    approved = serializers.IntegerField()
    rejected = serializers.IntegerField()
    blocked = serializers.BooleanField(help_text="Blocked by your organisation.")
    suspended = serializers.BooleanField()

    class Meta:
        model = User
        fields = [
            "id",
            "email",
            "display_name",
            "answers",
            "approved",
            "rejected",
            "blocked",
            "suspended",
        ]


class WorkerAnswerSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    project = serializers.IntegerField(source="project_id")
    project_title = serializers.CharField(source="project.title")
    answer = serializers.JSONField()
    submitted_at = serializers.DateTimeField()
    review_status = serializers.CharField()
    rejection_reason = serializers.CharField()


class AuditEntrySerializer(serializers.ModelSerializer):
    actor_email = serializers.EmailField(source="actor.email", default="")
    worker_email = serializers.EmailField(source="worker.email", default="")

    class Meta:
        model = AuditLogEntry
        fields = [
            "id",
            "created_at",
            "actor",
            "actor_email",
            "account",
            "action",
            "worker",
            "worker_email",
            "reason",
            "details",
        ]
