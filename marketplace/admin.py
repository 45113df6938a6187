from django.contrib import admin

from marketplace.models import Project, Task


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ["title", "account", "template_type", "status", "tasks_count", "created_at"]
    list_filter = ["status", "template_type"]
    search_fields = ["title", "account__name"]
    list_select_related = ["account"]


@admin.register(Task)
class TaskAdmin(admin.ModelAdmin):
    list_display = ["id", "project", "external_id", "is_gold", "answers_count"]
    list_filter = ["is_gold"]
    raw_id_fields = ["project"]
    list_select_related = ["project"]
