from django.urls import path

from doors.base import FaceIdView
from doors.not_found import not_built

from . import views

urlpatterns = [
    path("api/v1/auth/key", views.ApiKeyView.as_view(), name="faceid-key"),
    path("api/v1/auth/token", views.ApiTokenView.as_view(), name="faceid-token"),
    # Projects, their users and faces, check-in and search: 404 saying so until they are built.
    *not_built(FaceIdView, "002", {
        "api/v1/projects": ["GET"],
        "api/v1/projects/<str:project_id>/users": ["POST"],
        "api/v1/projects/<str:project_id>/users/<str:user_id>": ["PATCH", "DELETE"],
        "api/v1/projects/<str:project_id>/users/<str:user_id>/faces": ["GET", "POST", "DELETE"],
        "api/v1/projects/<str:project_id>/users/<str:user_id>/faces/<str:face_id>": ["GET", "PATCH", "DELETE"],
        "api/v1/projects/<str:project_id>/check-in": ["POST"],
        "api/v1/projects/<str:project_id>/_search": ["POST"],
    }),
]
