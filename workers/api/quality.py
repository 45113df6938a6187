"""Review of quality-rule flags and blocks: staff for the platform, requesters for their
projects (another organisation's rows are 404, workers 403). Rules in
workers.services.quality_review; the same queue is the page /staff/workforce/quality/."""

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import generics, serializers, status
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from marketplace.models import QualityAction
from workers.api.common import IsManager, _error
from workers.models import QualityReview
from workers.selectors import quality as selectors
from workers.services.quality_review import ESCALATIONS, quality_action_review


class QualityReviewSerializer(serializers.ModelSerializer):
    reviewed_by_email = serializers.EmailField(source="reviewed_by.email", default="")
    confirmed = serializers.BooleanField(read_only=True)

    class Meta:
        model = QualityReview
        fields = [
            "decision",
            "confirmed",
            "reason",
            "reviewed_by",
            "reviewed_by_email",
            "reviewed_at",
        ]


class QualityActionForReviewSerializer(serializers.ModelSerializer):
    project_title = serializers.CharField(source="project.title")
    worker_email = serializers.EmailField(source="worker.email")
    kind = serializers.CharField(source="action", help_text="flag or block")
    review = serializers.SerializerMethodField()

    class Meta:
        model = QualityAction
        fields = [
            "id",
            "created_at",
            "project",
            "project_title",
            "worker",
            "worker_email",
            "rule",
            "kind",
            "reason",
            "answers_discarded",
            "review",
        ]

    @extend_schema_field(QualityReviewSerializer(allow_null=True))
    def get_review(self, action):
        review = getattr(action, "review", None)
        return QualityReviewSerializer(review).data if review else None


class NewestFirst(CursorPagination):
    """Keyset pagination (no COUNT, no OFFSET): the queue can be long across the platform."""

    ordering = ("-created_at", "-id")
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


class QualityActionListApi(generics.ListAPIView):
    """Flags and blocks of quality rules, newest first. Staff: the platform; requesters: their
    projects."""

    permission_classes = [IsManager]
    serializer_class = QualityActionForReviewSerializer
    pagination_class = NewestFirst
    queryset = QualityAction.objects.none()
    filter_backends: list = []

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        filters = selectors.QualityActionFilters.from_query(self.request.query_params)
        return selectors.quality_action_list_reviewable(user=self.request.user, filters=filters)

    @extend_schema(
        summary="Quality flags and blocks to review",
        parameters=[
            OpenApiParameter("status", str, enum=list(selectors.REVIEW_STATUSES)),
            OpenApiParameter("kind", str, enum=["flag", "block"]),
            OpenApiParameter("rule", str, enum=[value for value, _ in selectors.RULE_CHOICES]),
            OpenApiParameter("project", int),
            OpenApiParameter("worker", str, description="A worker id or part of an email."),
        ],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class ReviewInputSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=["confirm", "dismiss"])
    escalate_to = serializers.ChoiceField(
        choices=[("", "none"), *[(value, value) for value in ESCALATIONS]],
        required=False,
        default="",
        help_text="Flags only, when confirming: project_block or suspension (staff).",
    )
    reason = serializers.CharField()


class QualityActionReviewApi(APIView):
    permission_classes = [IsManager]

    @extend_schema(
        summary="Confirm or dismiss a flag or block",
        description=(
            "A block: `confirm` keeps it, `dismiss` lifts it. A flag: `confirm` with "
            "`escalate_to` blocks the worker from the project or (staff) suspends them; "
            "`dismiss` marks it a false positive. Audited; one review per flag or block (409 "
            "for a second)."
        ),
        request=ReviewInputSerializer,
        responses={
            200: QualityActionForReviewSerializer,
            **{code: _error for code in (400, 403, 404, 409)},
        },
    )
    def post(self, request, quality_action_id: int):
        selectors.quality_action_get_reviewable(
            user=request.user, quality_action_id=quality_action_id
        )
        serializer = ReviewInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        quality_action_review(
            actor=request.user,
            quality_action_id=quality_action_id,
            confirm=data["decision"] == "confirm",
            escalate_to=data["escalate_to"],
            reason=data["reason"],
        )
        action = selectors.quality_action_get_reviewable(
            user=request.user, quality_action_id=quality_action_id
        )
        return Response(QualityActionForReviewSerializer(action).data, status=status.HTTP_200_OK)
