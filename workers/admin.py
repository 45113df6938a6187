from django.contrib import admin

from workers.models import WorkerProfile


@admin.register(WorkerProfile)
class WorkerProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "display_name", "country", "created_at"]
    search_fields = ["user__email", "display_name"]
    list_select_related = ["user"]
