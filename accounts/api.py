from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from accounts.tokens import token_expires_at, token_issue, token_revoke


class MeSerializer(serializers.ModelSerializer):
    requester_account = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ["id", "email", "full_name", "role", "is_staff", "requester_account"]

    def get_requester_account(self, user) -> dict | None:
        account = user.requester_account
        return {"id": account.id, "name": account.name} if account else None


class MeApi(APIView):
    @extend_schema(responses=MeSerializer)
    def get(self, request):
        return Response(MeSerializer(request.user).data)


class TokenInputSerializer(serializers.Serializer):
    email = serializers.EmailField()
    password = serializers.CharField(trim_whitespace=False)


class TokenOutputSerializer(serializers.Serializer):
    token = serializers.CharField()
    expires_at = serializers.DateTimeField()


class TokenApi(APIView):
    """Exchange email and password for an API token, for scripts. Each call issues a new token
    and revokes the previous one; tokens expire after ``API_TOKEN_TTL_SECONDS``. Failed logins
    count against the same limits as the login page (429 past them)."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(request=TokenInputSerializer, responses=TokenOutputSerializer)
    def post(self, request):
        data = TokenInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        token = token_issue(
            request=request,
            email=data.validated_data["email"],
            password=data.validated_data["password"],
        )
        body = {"token": token.key, "expires_at": token_expires_at(token)}
        return Response(TokenOutputSerializer(body).data)


class TokenRevokeApi(APIView):
    """Revoke the caller's API token (a leaked or retired script's)."""

    @extend_schema(request=None, responses={204: None})
    def post(self, request):
        token_revoke(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
