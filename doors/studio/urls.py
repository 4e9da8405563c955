from django.urls import path

from . import clothes, generation, views

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
    path("generate", generation.GenerateImageView.as_view(), name="studio-generate"),
    path("generate_video", generation.GenerateVideoView.as_view(), name="studio-generate-video"),
    path("generate/<str:task_id>", generation.TaskStatusView.as_view(), name="studio-task"),
    path("get_gallery", generation.GalleryView.as_view(), name="studio-gallery"),
    path("get_gallery_image/<str:url>", generation.GalleryImageView.as_view(), name="studio-gallery-image"),
    path("get_gallery_video/<str:url>", generation.GalleryVideoView.as_view(), name="studio-gallery-video"),
    path("get_thumbnail/<str:url>", generation.GalleryThumbnailView.as_view(), name="studio-thumbnail"),
    path("get_gallery_model/<str:url>", generation.GalleryModelView.as_view(), name="studio-gallery-model"),
    path("remove_gallery_image/<str:url>", generation.RemoveGalleryEntryView.as_view(),
         name="studio-remove-gallery-entry"),
    path("upload_clothes", clothes.UploadClothesView.as_view(), name="studio-upload-clothes"),
    path("get_clothes", clothes.GetClothesView.as_view(), name="studio-get-clothes"),
]
