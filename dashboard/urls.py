from django.urls import path

from .views import accounts, captures, faces, home
from .views import share as share_views

app_name = "dashboard"

urlpatterns = [
    path("", home.home, name="home"),
    path("captures/", captures.capture_list, name="captures"),
    path("captures/new/", captures.capture_new, name="capture_new"),
    path("captures/new/estimates.json", captures.capture_estimates, name="capture_estimates"),
    path("captures/<uuid:eid>/", captures.capture_detail, name="capture_detail"),
    path("captures/<uuid:eid>/status.json", captures.capture_status_json, name="capture_status"),
    path("captures/<uuid:eid>/parts.json", captures.capture_parts, name="capture_parts"),
    path("captures/<uuid:eid>/files/<slug:kind>/", captures.capture_file, name="capture_file"),
    path("captures/<uuid:eid>/files/<slug:kind>/<str:filename>", captures.capture_file, name="capture_file_named"),
    path("captures/<uuid:eid>/rename/", captures.capture_rename, name="capture_rename"),
    path("captures/<uuid:eid>/visibility/", captures.capture_visibility, name="capture_visibility"),
    path("captures/<uuid:eid>/delete/", captures.capture_delete, name="capture_delete"),
    path("faces/", faces.project_list, name="face_projects"),
    path("faces/<int:pk>/", faces.project_detail, name="face_project"),
    path("faces/<int:pk>/settings/", faces.project_settings, name="face_project_settings"),
    path("faces/<int:pk>/delete/", faces.project_delete, name="face_project_delete"),
    path("faces/<int:pk>/kiosk/", faces.kiosk, name="face_kiosk"),
    path("faces/<int:pk>/kiosk/check-in.json", faces.kiosk_check_in, name="face_kiosk_check_in"),
    path("faces/<int:pk>/log/<int:rid>/photo", faces.recognition_photo, name="face_recognition_photo"),
    path("faces/<int:pk>/imports/", faces.import_new, name="face_import_new"),
    path("faces/<int:pk>/imports/<int:iid>/", faces.import_detail, name="face_import"),
    path("faces/<int:pk>/imports/<int:iid>/status.json", faces.import_status_json, name="face_import_status"),
    path("faces/<int:pk>/imports/<int:iid>/report.csv", faces.import_report, name="face_import_report"),
    path("faces/<int:pk>/people/", faces.person_add, name="face_person_add"),
    path("faces/<int:pk>/people/<int:sid>/", faces.person_detail, name="face_person"),
    path("faces/<int:pk>/people/<int:sid>/edit/", faces.person_edit, name="face_person_edit"),
    path("faces/<int:pk>/people/<int:sid>/delete/", faces.person_delete, name="face_person_delete"),
    path("faces/<int:pk>/people/<int:sid>/faces/", faces.face_enrol, name="face_enrol"),
    path("faces/<int:pk>/people/<int:sid>/faces/<int:fid>/photo", faces.face_photo, name="face_photo"),
    path("faces/<int:pk>/people/<int:sid>/faces/<int:fid>/delete/", faces.face_delete, name="face_delete"),
    path("profile/", accounts.profile, name="profile"),
    path("profile/avatar.jpg", accounts.avatar_thumbnail, name="profile_avatar"),
    path("profile/keys/", accounts.api_keys, name="api_keys"),
    path("profile/keys/<uuid:key>/revoke/", accounts.revoke_api_key, name="revoke_api_key"),
    path("profile/delete/", accounts.delete_account, name="delete_account"),
    path("profile/deleted/", accounts.account_deleted, name="account_deleted"),
    path("s/<str:sid>", share_views.share, name="share"),
]
