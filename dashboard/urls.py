from django.urls import path

from .views import accounts, home

app_name = "dashboard"

urlpatterns = [
    path("", home.home, name="home"),
    path("profile/", accounts.profile, name="profile"),
    path("profile/avatar.jpg", accounts.avatar_thumbnail, name="profile_avatar"),
    path("profile/delete/", accounts.delete_account, name="delete_account"),
    path("profile/deleted/", accounts.account_deleted, name="account_deleted"),
]
