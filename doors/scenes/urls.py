from django.urls import path

from . import scenes, views

urlpatterns = [
    path("user/account/register", views.RegisterView.as_view(), name="scenes-register"),
    path("user/account/login", views.LoginView.as_view(), name="scenes-login"),
    path("user/account/update/username", views.UpdateUsernameView.as_view(), name="scenes-update-username"),
    path("user/account/update/password", views.UpdatePasswordView.as_view(), name="scenes-update-password"),
    path("user/account/delete", views.DeleteAccountView.as_view(), name="scenes-delete"),
    path("user/scene/new", scenes.SceneNewView.as_view(), name="scenes-scene-new"),
    path("user/scene/metadata/<str:scene_id>", scenes.SceneMetadataView.as_view(), name="scenes-scene-metadata"),
    path("user/scene/output/<str:output_type>/<str:scene_id>", scenes.SceneOutputView.as_view(),
         name="scenes-scene-output"),
    path("user/scene/thumbnail/<str:scene_id>", scenes.SceneThumbnailView.as_view(), name="scenes-scene-thumbnail"),
    path("user/scene/name/<str:scene_id>", scenes.SceneNameView.as_view(), name="scenes-scene-name"),
    path("user/scene/progress/<str:scene_id>", scenes.SceneProgressView.as_view(), name="scenes-scene-progress"),
    path("user/scene/history", scenes.SceneHistoryView.as_view(), name="scenes-scene-history"),
    path("user/scene/delete/<str:scene_id>", scenes.SceneDeleteView.as_view(), name="scenes-scene-delete"),
]
