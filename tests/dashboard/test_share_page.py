"""The share page /s/<sid>: a public capture for anyone, a private one for its owner only, 404 otherwise."""

import html
import io
import json
import re

import numpy as np
import pytest
from django.core.files.base import ContentFile
from django.template.loader import get_template
from django.utils import timezone
from PIL import Image

from captures import selectors
from captures.models import Capture
from captures.reconstruction import splat_io
from gallery.models import Item, ItemFile

pytestmark = pytest.mark.django_db


def splat_bytes(tmp_path, count=50):
    """A real .splat of `count` Gaussians, written by the project's exporter."""
    rng = np.random.default_rng(0)
    gaussians = splat_io.GaussianArrays(
        means=rng.normal(size=(count, 3)), sh_dc=rng.normal(size=(count, 3)), sh_rest=np.zeros((count, 0, 3)),
        opacities=rng.normal(size=count), scales=rng.normal(-3, 0.5, size=(count, 3)),
        rotations=rng.normal(size=(count, 4)))
    return splat_io.write_splat(tmp_path / "model.splat", gaussians).read_bytes()


def jpeg(width, height, colour):
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(buffer, "JPEG")
    return buffer.getvalue()


# What the preview pipeline makes of the upload itself: a sharp frame and an animated GIF of the video.
FRAME = jpeg(512, 288, (200, 120, 40))
GIF = b"GIF89a-preview"
# The reconstruction's render of the model.
RENDER = jpeg(320, 240, (30, 30, 30))


def capture_of(owner, *, public, files=(), name="Garden gnome", status=Item.Status.DONE, preview=False):
    """A capture with one item holding `files`: (kind, filename, bytes, content type); with `preview`, the preview
    pipeline's item before it, holding the upload's frame and GIF."""
    capture = Capture.objects.create(owner=owner, name=name, bytesize=1000, is_public=public,
                                     uploaded_at=timezone.now())
    items = []
    if preview:
        items.append(("preview", Item.Status.DONE, [("thumbnail", "thumbnail.jpg", FRAME, "image/jpeg"),
                                                     ("gif", "preview.gif", GIF, "image/gif")]))
    items.append(("gaussian-splatting", status, files))
    for pipeline, item_status, item_files in items:
        item = Item.objects.create(owner=owner, name=name, pipeline=pipeline, source=capture, status=item_status)
        for kind, filename, content, content_type in item_files:
            item_file = ItemFile(item=item, kind=kind, content_type=content_type, size=len(content))
            item_file.file.save(filename, ContentFile(content), save=True)
    return capture


@pytest.fixture
def reconstructed(tmp_path):
    cameras = [{"name": "a", "matrix": np.eye(4).reshape(-1).tolist(), "width": 64, "height": 48, "fx": 50.0,
                "fy": 50.0, "cx": 32.0, "cy": 24.0}]
    return [("splat", "splats.splat", splat_bytes(tmp_path), "application/octet-stream"),
            ("ply", "splats.ply", b"ply\nformat binary_little_endian 1.0\nend_header\n", "application/octet-stream"),
            ("cameras", "cameras.json", json.dumps(cameras).encode(), "application/json"),
            ("thumbnail", "render.jpg", RENDER, "image/jpeg")]


def test_a_public_capture_is_shown_signed_out_with_viewer_and_downloads(client, user, reconstructed):
    capture = capture_of(user, public=True, files=reconstructed, preview=True)
    response = client.get(f"/s/{capture.sid}")
    assert response.status_code == 200
    page = response.content.decode()
    assert "<h1>Garden gnome</h1>" in page
    assert f"Shared by <strong>{user.nickname}</strong>" in page
    assert user.email not in page
    assert f"/captures/{capture.eid}/" not in page and "This is your capture" not in page
    share = f"/share/{capture.sid}/files"
    # The viewer gets the compressed splat, its format (the URL has no extension) and the cameras.
    assert f'data-splat-url="{share}/splat"' in page and 'data-splat-format="splat"' in page
    assert f'data-cameras-url="{share}/cameras"' in page
    assert 'data-viewer-state="loading"' in page and "Reset camera" in page and "<noscript>" in page
    assert '<script type="importmap">' in page and "vendor/three/three.module.js" in page
    # The preview made of the upload (its GIF, its frames) is not shown unless the owner says so.
    assert f"{share}/gif" not in page and "<h2>Preview</h2>" not in page
    for kind in ("ply", "splat", "cameras"):
        assert f'href="{share}/{kind}"' in page
    assert f'href="{share}/gif"' not in page and f'href="{share}/thumbnail"' not in page
    assert page.index(f'href="{share}/ply"') < page.index(f'href="{share}/splat"')

    # What the page points at opens signed out: the viewer's splat is the stored one.
    splat = client.get(f"{share}/splat")
    assert splat.status_code == 200 and b"".join(splat.streaming_content) == reconstructed[0][2]
    assert client.get(f"{share}/cameras").status_code == 200


def test_a_private_capture_is_404_signed_out_and_for_other_people(client, user, other_user, reconstructed):
    capture = capture_of(user, public=False, files=reconstructed)
    response = client.get(f"/s/{capture.sid}")
    assert response.status_code == 404
    page = response.content.decode()
    assert "This page is not here" in page and "Garden gnome" not in page
    assert "Traceback" not in page

    client.force_login(other_user)
    response = client.get(f"/s/{capture.sid}")
    assert response.status_code == 404 and "Garden gnome" not in response.content.decode()


def test_the_owner_sees_their_private_capture_through_their_own_file_routes(client, user, reconstructed):
    capture = capture_of(user, public=False, files=reconstructed)
    client.force_login(user)
    response = client.get(f"/s/{capture.sid}")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Only you can see this page." in page and 'name="robots" content="noindex"' in page
    assert f'href="/captures/{capture.eid}/"' in page  # where to make it public
    own = f"/api/v1/captures/{capture.eid}/files"
    assert f'data-splat-url="{own}/splat"' in page and f'href="{own}/ply"' in page
    assert f"/share/{capture.sid}/files" not in page  # the share routes answer 404 while it is private
    assert client.get(f"{own}/splat").status_code == 200


def test_the_owner_of_a_public_capture_gets_a_link_to_manage_it(client, user, reconstructed):
    capture = capture_of(user, public=True, files=reconstructed)
    client.force_login(user)
    page = client.get(f"/s/{capture.sid}").content.decode()
    assert "This is your capture" in page and f'href="/captures/{capture.eid}/"' in page
    assert f'data-splat-url="/share/{capture.sid}/files/splat"' in page


def test_making_a_capture_private_takes_its_page_down(client, user, reconstructed):
    capture = capture_of(user, public=True, files=reconstructed)
    assert client.get(f"/s/{capture.sid}").status_code == 200
    Capture.objects.filter(pk=capture.pk).update(is_public=False)
    assert client.get(f"/s/{capture.sid}").status_code == 404


def test_an_unknown_share_id_is_404(client):
    response = client.get("/s/no-such-share")
    assert response.status_code == 404 and "This page is not here" in response.content.decode()


def test_a_full_ply_is_viewed_as_ply_when_there_is_no_compressed_splat(client, user):
    capture = capture_of(user, public=True, files=[("ply", "splats.ply", b"ply\n", "application/octet-stream")])
    page = client.get(f"/s/{capture.sid}").content.decode()
    assert f'data-splat-url="/share/{capture.sid}/files/ply"' in page and 'data-splat-format="ply"' in page
    assert 'data-cameras-url=""' in page and "<h2>Preview</h2>" not in page


def test_a_capture_still_processing_says_so_instead_of_showing_a_viewer(client, user):
    capture = capture_of(user, public=True, status=Item.Status.PROCESSING, preview=True)
    page = client.get(f"/s/{capture.sid}").content.decode()
    assert "The 3D model is not ready yet" in page and "badge-processing" in page
    assert "data-atlas-viewer" not in page and "Nothing to download yet." in page
    assert f"/share/{capture.sid}/files/gif" not in page and 'property="og:image"' not in page
    Capture.objects.filter(pk=capture.pk).update(show_preview_publicly=True)
    page = client.get(f"/s/{capture.sid}").content.decode()
    assert f'src="/share/{capture.sid}/files/gif"' in page


def test_a_failed_capture_says_it_could_not_be_reconstructed(client, user):
    capture = capture_of(user, public=True, status=Item.Status.FAILED)
    page = client.get(f"/s/{capture.sid}").content.decode()
    assert "could not be turned into a 3D model" in page and "data-atlas-viewer" not in page


def test_a_mesh_is_shown_in_the_viewer_when_there_is_no_splat(client, user):
    capture = capture_of(user, public=True, files=[("glb", "mesh.glb", b"glTF", "model/gltf-binary")])
    page = client.get(f"/s/{capture.sid}").content.decode()
    assert f'data-mesh-url="/share/{capture.sid}/files/glb"' in page and 'data-splat-url=""' in page
    assert f'href="/share/{capture.sid}/files/glb"' in page


def test_the_500_page_renders_without_a_request():
    page = get_template("500.html").render()
    assert "Something went wrong on our side" in page and "vendor/pico/pico.min.css" in page


# --- the embeddable viewer, the embed code, link previews, the preview's privacy ---------------------------------


def meta(page, attribute, name):
    match = re.search(rf'<meta {attribute}="{re.escape(name)}" content="([^"]*)">', page)
    return match and match.group(1)


def test_the_embed_page_of_a_public_capture_is_the_viewer_alone_and_any_site_may_frame_it(client, user,
                                                                                          reconstructed):
    capture = capture_of(user, public=True, files=reconstructed, preview=True)
    response = client.get(f"/s/{capture.sid}/embed")
    assert response.status_code == 200
    assert response["Content-Security-Policy"] == "frame-ancestors *"
    assert "X-Frame-Options" not in response
    page = response.content.decode()
    share = f"/share/{capture.sid}/files"
    assert f'data-splat-url="{share}/splat"' in page and f'data-cameras-url="{share}/cameras"' in page
    assert "data-viewer-fullscreen" in page and "data-viewer-hint" in page
    # The name links back to the share page, in a new tab (the share page itself refuses to be framed).
    assert re.search(rf'<a class="embed-name" href="/s/{capture.sid}" target="_blank" rel="noopener">Garden gnome',
                     page)
    # No site navigation, no downloads, no preview.
    assert "site-header" not in page and "Sign in" not in page and "<nav" not in page
    assert f'href="{share}/ply"' not in page and f"{share}/gif" not in page


def test_the_embed_page_lists_the_configured_frame_ancestors(client, user, reconstructed, settings):
    settings.EMBED_FRAME_ANCESTORS = ["https://blog.example.com", "https://*.example.org"]
    capture = capture_of(user, public=True, files=reconstructed)
    response = client.get(f"/s/{capture.sid}/embed")
    assert response["Content-Security-Policy"] == "frame-ancestors https://blog.example.com https://*.example.org"


def test_a_private_or_unknown_capture_has_no_embed_page_not_even_for_its_owner(client, user, other_user,
                                                                               reconstructed):
    capture = capture_of(user, public=False, files=reconstructed)
    assert client.get(f"/s/{capture.sid}/embed").status_code == 404
    assert client.get("/s/no-such-share/embed").status_code == 404
    client.force_login(other_user)
    assert client.get(f"/s/{capture.sid}/embed").status_code == 404
    client.force_login(user)
    response = client.get(f"/s/{capture.sid}/embed")
    assert response.status_code == 404 and "Garden gnome" not in response.content.decode()
    assert client.get(f"/s/{capture.sid}/picture.jpg").status_code == 404


def test_every_other_page_still_refuses_to_be_framed(client, user, reconstructed):
    capture = capture_of(user, public=True, files=reconstructed)
    response = client.get(f"/s/{capture.sid}")
    assert response.status_code == 200 and response["X-Frame-Options"] == "DENY"
    assert "Content-Security-Policy" not in response
    assert client.get("/").headers["X-Frame-Options"] == "DENY"
    client.force_login(user)
    assert client.get(f"/captures/{capture.eid}/")["X-Frame-Options"] == "DENY"


def test_the_share_page_offers_the_whole_link_and_a_copyable_embed_code(client, user, reconstructed):
    capture = capture_of(user, public=True, files=reconstructed)
    page = client.get(f"/s/{capture.sid}").content.decode()
    link = f"http://testserver/s/{capture.sid}"
    assert re.search(rf'<textarea id="share-link"[^>]*readonly[^>]*>{re.escape(link)}</textarea>', page)
    code = re.search(r'<textarea id="embed-code"[^>]*readonly[^>]*>([^<]*)</textarea>', page).group(1)
    assert code.startswith("&lt;iframe ") and f'src=&quot;{link}/embed&quot;' in code
    assert "allowfullscreen" in code and "Garden gnome (3D model)" in code
    assert 'data-copy="#embed-code"' in page and 'data-copy="#share-link"' in page and "js/copy.js" in page
    # What is copied is HTML whose values are escaped, whatever the name holds.
    odd = capture_of(user, public=True, files=reconstructed, name='Tom & "Jerry" <b>')
    page = client.get(f"/s/{odd.sid}").content.decode()
    code = html.unescape(re.search(r'<textarea id="embed-code"[^>]*>([^<]*)</textarea>', page).group(1))
    assert 'title="Tom &amp; &quot;Jerry&quot; &lt;b&gt; (3D model)"' in code


def test_link_previews_get_absolute_open_graph_and_twitter_tags(client, user, reconstructed):
    capture = capture_of(user, public=True, files=reconstructed, preview=True)
    page = client.get(f"/s/{capture.sid}").content.decode()
    picture = f"http://testserver/s/{capture.sid}/picture.jpg"
    assert meta(page, "property", "og:type") == "website"
    assert meta(page, "property", "og:title") == "Garden gnome"
    assert meta(page, "property", "og:description").startswith("A 3D model you can turn around")
    assert meta(page, "property", "og:url") == f"http://testserver/s/{capture.sid}"
    assert meta(page, "property", "og:image") == picture
    assert meta(page, "name", "twitter:card") == "summary_large_image"
    assert meta(page, "name", "twitter:image") == picture
    # While the owner keeps the video preview private, the picture is the model's render, not a frame of the video.
    assert (meta(page, "property", "og:image:width"), meta(page, "property", "og:image:height")) == ("320", "240")
    response = client.get(f"/s/{capture.sid}/picture.jpg")
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert b"".join(response.streaming_content) == RENDER

    # Shown: the preview's sharp frame of the video.
    Capture.objects.filter(pk=capture.pk).update(show_preview_publicly=True)
    page = client.get(f"/s/{capture.sid}").content.decode()
    assert (meta(page, "property", "og:image:width"), meta(page, "property", "og:image:height")) == ("512", "288")
    assert b"".join(client.get(f"/s/{capture.sid}/picture.jpg").streaming_content) == FRAME


def test_a_private_capture_has_no_link_preview_tags(client, user, reconstructed):
    capture = capture_of(user, public=False, files=reconstructed)
    client.force_login(user)
    page = client.get(f"/s/{capture.sid}").content.decode()
    assert 'property="og:' not in page and 'name="twitter:' not in page and 'id="embed-code"' not in page


def test_the_video_preview_is_hidden_until_the_owner_shows_it(client, user, reconstructed):
    capture = capture_of(user, public=True, files=reconstructed, preview=True)
    share = f"/share/{capture.sid}/files"
    page = client.get(f"/s/{capture.sid}").content.decode()
    assert f"{share}/gif" not in page
    # Its files are not served to the public either; the model's own thumbnail is.
    assert client.get(f"{share}/gif").status_code == 404
    assert b"".join(client.get(f"{share}/thumbnail").streaming_content) == RENDER
    # The owner's signed URL (what the API hands out) still opens it.
    signature = selectors.file_signature(capture, "gif")
    assert client.get(f"{share}/gif", {"signature": signature}).status_code == 200

    client.force_login(user)
    detail = client.get(f"/captures/{capture.eid}/").content.decode()
    assert re.search(r'<input type="checkbox" role="switch" name="show_preview_publicly" '
                     r'id="show-preview-publicly">', detail)  # off by default
    assert "Show the video preview on the public page" in detail
    response = client.post(f"/captures/{capture.eid}/preview-visibility/", {"show_preview_publicly": "on"})
    assert response.status_code == 302 and response["Location"] == f"/captures/{capture.eid}/#capture-sharing"
    capture.refresh_from_db()
    assert capture.show_preview_publicly
    detail = client.get(f"/captures/{capture.eid}/").content.decode()
    assert 'id="show-preview-publicly" checked>' in detail
    client.logout()

    page = client.get(f"/s/{capture.sid}").content.decode()
    assert f'src="{share}/gif"' in page and "<h2>Preview</h2>" in page
    assert b"".join(client.get(f"{share}/gif").streaming_content) == GIF
    # The viewer stays.
    assert f'data-splat-url="{share}/splat"' in page

    client.force_login(user)
    client.post(f"/captures/{capture.eid}/preview-visibility/", {})  # unchecked: hidden again
    capture.refresh_from_db()
    assert not capture.show_preview_publicly
    assert f"{share}/gif" not in client.get(f"/s/{capture.sid}").content.decode()


def test_only_the_owner_can_show_the_preview(client, user, other_user, reconstructed):
    capture = capture_of(user, public=True, files=reconstructed, preview=True)
    url = f"/captures/{capture.eid}/preview-visibility/"
    response = client.post(url, {"show_preview_publicly": "on"})
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    client.force_login(other_user)
    assert client.post(url, {"show_preview_publicly": "on"}).status_code == 404
    client.force_login(user)
    assert client.get(url).status_code == 405
    capture.refresh_from_db()
    assert not capture.show_preview_publicly


def test_the_capture_page_shows_the_whole_share_link(client, user, reconstructed):
    capture = capture_of(user, public=True, files=reconstructed)
    client.force_login(user)
    page = client.get(f"/captures/{capture.eid}/").content.decode()
    assert re.search(rf'<textarea id="share-link"[^>]*readonly[^>]*>http://testserver/s/{capture.sid}</textarea>',
                     page)
