from django.urls import path

from marketplace import views

app_name = "marketplace"
urlpatterns = [
    path("", views.requester_dashboard, name="requester_dashboard"),
]
