from django.urls import path

from . import views

urlpatterns = [
    path("user/account/register", views.RegisterView.as_view(), name="scenes-register"),
    path("user/account/login", views.LoginView.as_view(), name="scenes-login"),
    path("user/account/update/username", views.UpdateUsernameView.as_view(), name="scenes-update-username"),
    path("user/account/update/password", views.UpdatePasswordView.as_view(), name="scenes-update-password"),
    path("user/account/delete", views.DeleteAccountView.as_view(), name="scenes-delete"),
]
