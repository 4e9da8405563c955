from django.shortcuts import redirect, render


def home(request):
    """Signed-in people go straight to their captures; everyone else sees what Atlas does."""
    if request.user.is_authenticated:
        return redirect("dashboard:captures")
    return render(request, "dashboard/home.html")
