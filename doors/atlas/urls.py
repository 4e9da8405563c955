from django.urls import path, re_path, register_converter

from doors.base import AtlasView
from doors.not_found import not_built

from . import creation, items, views

register_converter(items.RequestIdConverter, "atlas_request_id")

urlpatterns = [
    path("atlas/auth/sign-up", views.SignUpView.as_view(), name="atlas-sign-up"),
    path("atlas/auth/sign-In", views.SignInView.as_view(), name="atlas-sign-in"),
    path("atlas/auth/sign-in", views.SignInView.as_view()),
    path("atlas/auth/sign-out", views.SignOutView.as_view(), name="atlas-sign-out"),
    path("atlas/auth/confirmation-emails/resend", views.ResendConfirmationView.as_view(), name="atlas-resend"),
    path("atlas/auth/confirm-email", views.ConfirmEmailView.as_view(), name="atlas-confirm-email"),
    path("atlas/auth/confirm-invite-email", views.ConfirmInviteView.as_view(), name="atlas-confirm-invite"),
    path("atlas/auth/reset-password", views.ResetPasswordView.as_view(), name="atlas-reset-password"),
    path("atlas/auth/password", views.PasswordView.as_view(), name="atlas-password"),
    path("atlas/auth/user", views.UserView.as_view(), name="atlas-user"),
    path("atlas/auth/google", views.GoogleSignInView.as_view(), name="atlas-google"),
    path("atlas/refresh/accessToken", views.RefreshAccessTokenView.as_view(), name="atlas-refresh"),
    path("atlas/me", views.MeView.as_view(), name="atlas-me"),
    path("atlas/role", views.RoleListView.as_view(), name="atlas-roles"),
    path("atlas/version", views.VersionView.as_view(), name="atlas-version"),
    # §4 items: `detail`, `download` and `my` are fixed words, `type` is one of five, so no route swallows another.
    path("atlas/item/gs3d", creation.Gs3dView.as_view(), name="atlas-item-gs3d"),
    # §3.1-3.4: 404 saying so until they are built.
    *not_built(AtlasView, "000", {f"atlas/item/{model}": ["POST"]
                                  for model in ("decal", "nerf2mesh", "musepose", "instant-mesh")}),
    path("atlas/item/detail/my/<atlas_request_id:requestId>", items.MyItemDetailView.as_view(),
         name="atlas-my-item-detail"),
    path("atlas/item/detail/<atlas_request_id:requestId>", items.ItemDetailView.as_view(), name="atlas-item-detail"),
    path("atlas/item/download/<atlas_request_id:requestId>", items.ItemDownloadView.as_view(),
         name="atlas-item-download"),
    path("atlas/item/my/<str:ModelId>", items.MyItemListView.as_view(), name="atlas-my-items"),
    re_path(r"^atlas/item/(?P<type>thumbnail|request|reply|output|log)/(?P<requestId>[^/]+)$",
            items.ItemMetadataView.as_view(), name="atlas-item-metadata"),
    path("atlas/item/<atlas_request_id:requestId>", items.ItemView.as_view(), name="atlas-item"),
]
