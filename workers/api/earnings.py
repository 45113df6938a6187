"""A worker's earnings over the API."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import IsWorker
from workers.selectors import earnings as selectors


class EarningsSerializer(serializers.Serializer):
    pending_cents = serializers.IntegerField()
    approved_cents = serializers.IntegerField()
    paid_cents = serializers.IntegerField()
    rejected_count = serializers.IntegerField()


class EarningsApi(APIView):
    permission_classes = [IsWorker]

    @extend_schema(responses=EarningsSerializer, operation_id="v1_earnings_retrieve")
    def get(self, request):
        return Response(EarningsSerializer(selectors.worker_earnings(worker=request.user)).data)
