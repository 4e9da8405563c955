"""The front page: a welcome for visitors, the captures list for people signed in."""

import pytest

pytestmark = pytest.mark.django_db


def test_visitors_see_what_atlas_does_and_how_to_start(client):
    response = client.get("/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Turn a phone video into a 3D model" in page
    assert 'href="/accounts/signup/"' in page
    assert "vendor/pico/pico.min.css" in page
