from django.urls import path

from . import views

urlpatterns = [
    path("api/v1/captures", views.CaptureListView.as_view(), name="captures"),
    path("api/v1/captures/<str:eid>", views.CaptureDetailView.as_view(), name="captures-detail"),
    path("api/v1/captures/<str:eid>/create-upload-url/<str:part_no>", views.UploadUrlView.as_view(),
         name="captures-upload-url"),
    path("api/v1/captures/<str:eid>/uploaded", views.CaptureUploadedView.as_view(), name="captures-uploaded"),
    # Additions (not in the seed): stop, run again and retry a capture's reconstruction.
    path("api/v1/captures/<str:eid>/cancel", views.CaptureCancelView.as_view(), name="captures-cancel"),
    path("api/v1/captures/<str:eid>/runs", views.CaptureRunsView.as_view(), name="captures-runs"),
    path("api/v1/captures/<str:eid>/retry", views.CaptureRetryView.as_view(), name="captures-retry"),
    path("api/v1/captures/<str:eid>/files/<str:kind>", views.CaptureFileView.as_view(), name="captures-file"),
    path("api/v1/uploads/<str:token>", views.UploadPartView.as_view(), name="captures-upload-part"),
    path("share/<str:sid>/metadata", views.ShareMetadataView.as_view(), name="captures-share-metadata"),
    path("share/<str:sid>/files/<str:kind>", views.ShareFileView.as_view(), name="captures-share-file"),
]
