from django.urls import path

from workers import views

app_name = "workers"
urlpatterns = [
    path("", views.task_feed, name="task_feed"),
]
