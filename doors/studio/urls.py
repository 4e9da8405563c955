from django.urls import path

from doors.base import StudioView
from doors.not_found import not_built

from . import clothes, views

urlpatterns = [
    path("register", views.RegisterView.as_view(), name="studio-register"),
    path("login", views.LoginView.as_view(), name="studio-login"),
    path("get_user_info", views.UserInfoView.as_view(), name="studio-user-info"),
    path("update_user_info", views.UpdateUserInfoView.as_view(), name="studio-update-user-info"),
    path("upload_avatar", views.UploadAvatarView.as_view(), name="studio-upload-avatar"),
    path("get_avatar", views.AvatarView.as_view(), name="studio-avatar"),
    path("get_avatar_thumbnail", views.AvatarThumbnailView.as_view(), name="studio-avatar-thumbnail"),
    path("get_user_details", views.UserDetailsView.as_view(), name="studio-user-details"),
    path("update_user_details", views.UpdateUserDetailsView.as_view(), name="studio-update-user-details"),
    path("upload_clothes", clothes.UploadClothesView.as_view(), name="studio-upload-clothes"),
    path("get_clothes", clothes.GetClothesView.as_view(), name="studio-get-clothes"),
    # Generation and the gallery: 404 saying so until they are built.
    *not_built(StudioView, "003", {
        "generate": ["POST"],
        "generate_video": ["POST"],
        "generate/<str:task_id>": ["GET"],
        "get_gallery": ["GET"],
        "get_gallery_image/<str:url>": ["GET"],
        "get_gallery_video/<str:url>": ["GET"],
        "get_thumbnail/<str:url>": ["GET"],
        "remove_gallery_image/<str:url>": ["DELETE"],
    }),
]
