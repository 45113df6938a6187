"""Pages of accounts: the landing page and the role-based home redirect (sign-up and login are
allauth's, included by config/urls.py)."""

from django.urls import path

from accounts import views

urlpatterns = [
    path("", views.landing, name="landing"),
    path("home/", views.home, name="home"),
]
