"""Project requirements (requesters for their projects, staff for all)."""

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api import error_response
from workers.api.common import (
    IsManager,
    _error,
)
from workers.api.serializers import (
    RequirementSerializer,
)
from workers.selectors import workforce as selectors
from workers.services import requirements


class RequirementListApi(APIView):
    permission_classes = [IsManager]
    serializer_class = RequirementSerializer

    @extend_schema(
        summary="A project's requirements",
        responses={200: RequirementSerializer(many=True), 404: _error},
    )
    def get(self, request, project_id: int):
        project = selectors.project_get_manageable(user=request.user, project_id=project_id)
        found = selectors.requirement_list_for_project(project=project)
        return Response(RequirementSerializer(found, many=True).data)

    @extend_schema(
        summary="Add a requirement",
        description="All requirements of a project must hold (AND).",
        request=RequirementSerializer,
        responses={201: RequirementSerializer, 400: _error, 404: _error},
    )
    def post(self, request, project_id: int):
        project = selectors.project_get_manageable(user=request.user, project_id=project_id)
        serializer = RequirementSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        qualification = data.get("qualification")
        if (
            qualification is not None
            and not selectors.qualification_list_usable_for_requirements(user=request.user)
            .filter(pk=qualification.pk)
            .exists()
        ):
            return error_response(
                "invalid",
                "The request has invalid fields.",
                fields={"qualification": ["No such qualification."]},
            )
        requirement = requirements.requirement_create(
            project=project,
            kind=data["kind"],
            qualification=qualification,
            value=data.get("value"),
            locales=data.get("locales"),
        )
        return Response(RequirementSerializer(requirement).data, status=status.HTTP_201_CREATED)


class RequirementDetailApi(APIView):
    permission_classes = [IsManager]

    @extend_schema(summary="Remove a requirement", responses={204: None, 404: _error})
    def delete(self, request, requirement_id: int):
        requirement = selectors.requirement_get_manageable(
            user=request.user, requirement_id=requirement_id
        )
        requirements.requirement_delete(requirement=requirement)
        return Response(status=status.HTTP_204_NO_CONTENT)
