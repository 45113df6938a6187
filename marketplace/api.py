from rest_framework import generics, serializers

from marketplace.models import Project
from marketplace.selectors import project_list_visible_to


class ProjectSerializer(serializers.ModelSerializer):
    class Meta:
        model = Project
        fields = [
            "id",
            "title",
            "description",
            "template_type",
            "reward_cents",
            "overlap_min",
            "overlap_max",
            "status",
            "priority",
            "tasks_count",
            "created_at",
        ]


class ProjectListApi(generics.ListAPIView):
    """Requesters see their organisation's projects; workers see active projects."""

    serializer_class = ProjectSerializer
    filterset_fields = ["status", "template_type"]

    queryset = Project.objects.none()  # for the schema generator, which has no user

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        return project_list_visible_to(user=self.request.user)
