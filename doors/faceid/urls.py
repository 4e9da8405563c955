from django.urls import path

from . import views

urlpatterns = [
    path("api/v1/auth/key", views.ApiKeyView.as_view(), name="faceid-key"),
    path("api/v1/auth/token", views.ApiTokenView.as_view(), name="faceid-token"),
]
