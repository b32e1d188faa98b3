from django.contrib import admin

from bankbuzz.audit.admin import ReadOnlyAdminMixin
from escalations.models import Department, Escalation, EscalationEvent, Holiday, Kudos, RoutingRule, SlaPolicy

# Departments, their hours, SLAs and holidays and the routing rules are managed by leads on the
# escalations pages (escalations.services, audited); the admin shows them.


class HolidayInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Holiday
    extra = 0


class SlaPolicyInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = SlaPolicy
    extra = 0


@admin.register(Department)
class DepartmentAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("name", "time_zone", "day_start", "day_end", "is_active")
    filter_horizontal = ("members", "leads")
    inlines = (SlaPolicyInline, HolidayInline)


@admin.register(RoutingRule)
class RoutingRuleAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("name", "position", "department", "priority", "auto_escalate", "is_active")
    list_filter = ("department", "is_active")


@admin.register(Escalation)
class EscalationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only: escalations change through the app, where every step is an event and audited."""

    list_display = ("pk", "department", "state", "priority", "assignee", "opened_at", "due_at")
    list_filter = ("department", "state")
    raw_id_fields = ("conversation",)


@admin.register(EscalationEvent)
class EscalationEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("escalation", "kind", "actor", "created_at")


@admin.register(Kudos)
class KudosAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("escalation", "expert", "agent", "created_at")
