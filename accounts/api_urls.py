"""Accounts API routes, included under /api/v1/."""

from django.urls import path

from accounts import api

urlpatterns = [
    path("me/", api.MeApi.as_view(), name="me"),
    path("auth/token/", api.TokenApi.as_view(), name="auth_token"),
    path("auth/token/revoke/", api.TokenRevokeApi.as_view(), name="auth_token_revoke"),
]
