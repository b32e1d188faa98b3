from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.shortcuts import redirect, render
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from bankbuzz.accounts import notifications as notes


@method_decorator(login_not_required, name="dispatch")
class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    pass


def profile(request):
    return render(request, "accounts/profile.html")


# Notifications belong to their recipient: every query below is scoped to request.user,
# so there is nothing else to check.


@require_GET
def notification_badge(request):
    """The unread count in the top bar, polled by htmx."""
    return render(request, "accounts/_notification_badge.html", {"unread": notes.unread_count(request.user)})


@require_GET
def notification_list(request):
    context = {"notifications": notes.notifications_for(request.user)}
    if request.headers.get("HX-Request"):
        return render(request, "accounts/_notification_list.html", context)
    return render(request, "accounts/notifications.html", context)


@require_POST
def notification_open(request, pk: int):
    notification = notes.notification_mark_read(user=request.user, notification_id=pk)
    target = notification.url if notification else "/"
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = "/"
    return redirect(target)


@require_POST
def notification_read_all(request):
    notes.notifications_mark_all_read(user=request.user)
    if request.headers.get("HX-Request"):
        return notification_badge(request)
    return redirect("accounts:notifications")
