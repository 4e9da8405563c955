from django.urls import path

from . import views

urlpatterns = [
    path("oauth2/token", views.TokenView.as_view(), name="oauth2-token"),
]
