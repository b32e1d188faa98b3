from django import template

register = template.Library()


@register.filter
def minutes(value) -> int:
    """A timedelta as whole minutes (the lockout page's cool-off)."""
    try:
        return max(1, round(value.total_seconds() / 60))
    except AttributeError:
        return 0
