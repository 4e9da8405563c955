"""The share page /s/<sid>: a public capture for anyone, a private one for its owner only, 404 otherwise."""

import json

import numpy as np
import pytest
from django.core.files.base import ContentFile
from django.template.loader import get_template
from django.utils import timezone

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


def capture_of(owner, *, public, files=(), name="Garden gnome", status=Item.Status.DONE):
    """A capture with one item holding `files`: (kind, filename, bytes, content type)."""
    capture = Capture.objects.create(owner=owner, name=name, bytesize=1000, is_public=public,
                                     uploaded_at=timezone.now())
    item = Item.objects.create(owner=owner, name=name, pipeline="gaussian-splatting", source=capture, status=status)
    for kind, filename, content, content_type in files:
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
            ("gif", "preview.gif", b"GIF89a-preview", "image/gif"),
            ("thumbnail", "thumbnail.jpg", b"\xff\xd8\xff-thumbnail", "image/jpeg")]


def test_a_public_capture_is_shown_signed_out_with_viewer_preview_and_downloads(client, user, reconstructed):
    capture = capture_of(user, public=True, files=reconstructed)
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
    assert f'src="{share}/gif"' in page  # the animated preview before the still thumbnail
    for kind in ("ply", "splat", "cameras"):
        assert f'href="{share}/{kind}"' in page
    assert f'href="{share}/gif"' not in page and f'href="{share}/thumbnail"' not in page
    assert page.index(f'href="{share}/ply"') < page.index(f'href="{share}/splat"')
    assert f'content="http://testserver{share}/thumbnail"' in page  # the link preview's picture

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
    assert 'data-cameras-url=""' in page and "No preview yet." in page


def test_a_capture_still_processing_says_so_instead_of_showing_a_viewer(client, user):
    capture = capture_of(user, public=True, status=Item.Status.PROCESSING,
                         files=[("gif", "preview.gif", b"GIF89a", "image/gif")])
    page = client.get(f"/s/{capture.sid}").content.decode()
    assert "The 3D model is not ready yet" in page and "badge-processing" in page
    assert "data-atlas-viewer" not in page and "Nothing to download yet." in page
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
