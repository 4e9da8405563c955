from django.urls import path

from . import projects, views

PROJECT = "api/v1/projects/<str:project_id>"
USER = f"{PROJECT}/users/<str:user_id>"

urlpatterns = [
    path("api/v1/auth/key", views.ApiKeyView.as_view(), name="faceid-key"),
    path("api/v1/auth/token", views.ApiTokenView.as_view(), name="faceid-token"),
    path("api/v1/projects", projects.ProjectsView.as_view(), name="faceid-projects"),
    path(f"{PROJECT}/users", projects.SubjectsView.as_view(), name="faceid-users"),
    path(USER, projects.SubjectView.as_view(), name="faceid-user"),
    path(f"{USER}/faces", projects.FacesView.as_view(), name="faceid-faces"),
    path(f"{USER}/faces/<str:face_id>", projects.FaceView.as_view(), name="faceid-face"),
    path(f"{PROJECT}/check-in", projects.CheckInView.as_view(), name="faceid-check-in"),
    path(f"{PROJECT}/_search", projects.SearchView.as_view(), name="faceid-search"),
]
