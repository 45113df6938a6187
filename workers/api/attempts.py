"""Workers take tests and trainings: start, answer, submit, and auto-granted requests."""

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import IsWorker
from config.api import error_response
from workers.api.common import (
    _error,
)
from workers.api.serializers import (
    AttemptSerializer,
    GrantSerializer,
)
from workers.selectors import workforce as selectors
from workers.services import qualification_attempts, qualification_grants


class AttemptStartApi(APIView):
    permission_classes = [IsWorker]

    @extend_schema(
        summary="Start (or resume) a qualification test",
        description="Returns the attempt with its questions (never the answer key).",
        request=None,
        responses={201: AttemptSerializer, 404: _error, 409: _error},
    )
    def post(self, request, qualification_id: int):
        qualification = selectors.qualification_get_for_worker(qualification_id=qualification_id)
        attempt = qualification_attempts.attempt_start(
            worker=request.user, qualification=qualification
        )
        return Response(AttemptSerializer(attempt).data, status=status.HTTP_201_CREATED)


class QualificationRequestApi(APIView):
    permission_classes = [IsWorker]

    @extend_schema(
        summary="Request an auto-granted qualification",
        request=None,
        responses={200: GrantSerializer, 404: _error, 409: _error},
    )
    def post(self, request, qualification_id: int):
        qualification = selectors.qualification_get_for_worker(qualification_id=qualification_id)
        grant = qualification_grants.qualification_request(
            worker=request.user, qualification=qualification
        )
        return Response(GrantSerializer(grant).data)


class AttemptDetailApi(APIView):
    permission_classes = [IsWorker]

    @extend_schema(summary="One of my attempts", responses={200: AttemptSerializer, 404: _error})
    def get(self, request, attempt_id: int):
        attempt = selectors.attempt_get_for_worker(worker=request.user, attempt_id=attempt_id)
        return Response(AttemptSerializer(attempt).data)


class AttemptAnswerInputSerializer(serializers.Serializer):
    question = serializers.IntegerField()
    answer = serializers.JSONField()


class AttemptAnswerApi(APIView):
    permission_classes = [IsWorker]

    @extend_schema(
        summary="Answer one question of an open attempt",
        description=(
            "Keeps the answer (it must fit the question's template). In a training the answer "
            "is final and `feedback` says right or wrong with the explanation; for a test "
            "`feedback` is null (answers are judged only at submit)."
        ),
        request=AttemptAnswerInputSerializer,
        responses={
            200: inline_serializer(
                "AttemptAnswerOutput",
                {
                    "question": serializers.IntegerField(),
                    "feedback": inline_serializer(
                        "TrainingFeedback",
                        {
                            "question": serializers.IntegerField(),
                            "correct": serializers.BooleanField(),
                            "explanation": serializers.CharField(),
                        },
                        allow_null=True,
                    ),
                },
            ),
            400: _error,
            404: _error,
            409: _error,
        },
    )
    def post(self, request, attempt_id: int):
        # Whose attempt it is before what is wrong with the body: another's is a 404.
        selectors.attempt_get_for_worker(worker=request.user, attempt_id=attempt_id)
        serializer = AttemptAnswerInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        question_id = serializer.validated_data["question"]
        attempt = qualification_attempts.attempt_answer(
            worker=request.user,
            attempt_id=attempt_id,
            question_id=question_id,
            answer=serializer.validated_data["answer"],
        )
        feedback = qualification_attempts.training_feedback(
            attempt=attempt, question_id=question_id
        )
        return Response({"question": question_id, "feedback": feedback})


class AttemptSubmitApi(APIView):
    permission_classes = [IsWorker]

    @extend_schema(
        summary="Submit a test attempt",
        description=(
            "`answers` maps question ids to answers in the question's template format. Scored "
            "on the server at once; a pass grants the qualification with the score as value."
        ),
        request=inline_serializer(
            "AttemptSubmitInput", {"answers": serializers.DictField(child=serializers.JSONField())}
        ),
        responses={200: AttemptSerializer, 400: _error, 404: _error},
    )
    def post(self, request, attempt_id: int):
        answers = request.data.get("answers", {}) if isinstance(request.data, dict) else None
        if not isinstance(answers, dict):
            # Whose attempt it is before what is wrong with the body: another's is a 404.
            selectors.attempt_get_for_worker(worker=request.user, attempt_id=attempt_id)
            return error_response(
                "invalid",
                "The request has invalid fields.",
                fields={"answers": ["An object of question id to answer."]},
            )
        attempt = qualification_attempts.attempt_submit(
            worker=request.user, attempt_id=attempt_id, answers=answers
        )
        return Response(AttemptSerializer(attempt).data)
