from django.contrib import admin

from workers.models import (
    AuditLogEntry,
    Notification,
    ProjectRequirement,
    QualificationAttempt,
    QualificationQuestion,
    QualificationType,
    RequesterBlock,
    WorkerProfile,
    WorkerQualification,
    WorkerSuspension,
)


@admin.register(WorkerProfile)
class WorkerProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "display_name", "country", "created_at"]
    search_fields = ["user__email", "display_name"]
    list_select_related = ["user"]


class QualificationQuestionInline(admin.StackedInline):
    model = QualificationQuestion
    extra = 0


@admin.register(QualificationType)
class QualificationTypeAdmin(admin.ModelAdmin):
    list_display = ["name", "account", "kind", "passing_score", "is_active", "created_at"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name", "account__name"]
    list_select_related = ["account"]
    inlines = [QualificationQuestionInline]


class _ReadOnlyAdmin(admin.ModelAdmin):
    """Rows written only through services (which audit them): the admin shows, never edits."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(QualificationAttempt)
class QualificationAttemptAdmin(_ReadOnlyAdmin):
    list_display = ["qualification", "worker", "started_at", "score", "passed"]
    list_select_related = ["qualification", "worker"]


@admin.register(WorkerQualification)
class WorkerQualificationAdmin(_ReadOnlyAdmin):
    list_display = ["worker", "qualification", "value", "granted_at", "expires_at", "revoked_at"]
    list_select_related = ["qualification", "worker"]
    search_fields = ["worker__email", "qualification__name"]


@admin.register(ProjectRequirement)
class ProjectRequirementAdmin(_ReadOnlyAdmin):
    list_display = ["project", "kind", "qualification", "value"]
    list_select_related = ["project", "qualification"]


@admin.register(RequesterBlock)
class RequesterBlockAdmin(_ReadOnlyAdmin):
    list_display = ["worker", "account", "created_at", "lifted_at"]
    list_select_related = ["worker", "account"]


@admin.register(WorkerSuspension)
class WorkerSuspensionAdmin(_ReadOnlyAdmin):
    list_display = ["worker", "reason", "created_at", "lifted_at"]
    list_select_related = ["worker"]


@admin.register(Notification)
class NotificationAdmin(_ReadOnlyAdmin):
    list_display = ["worker", "text", "created_at", "read_at"]
    list_select_related = ["worker"]


@admin.register(AuditLogEntry)
class AuditLogEntryAdmin(_ReadOnlyAdmin):
    """Append-only: no add, change or delete here, and the database refuses UPDATE/DELETE."""

    list_display = ["created_at", "actor", "account", "action", "worker", "reason"]
    list_filter = ["action"]
    search_fields = ["actor__email", "worker__email", "reason"]
    list_select_related = ["actor", "account", "worker"]
