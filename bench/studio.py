"""The avatar studio through its door, as a client meets it: `/generate` with the seed's own body → the queued
item run as a worker runs it → `/get_gallery_image`; the same for a 5 s video at 24 frames a second. On a
throw-away SQLite database, in a fresh process (so the first request pays what a restarted server pays: loading
the body model from its cache and opening the OpenGL context).

Also a contact sheet of renders across the sliders, poses, views, framings and expressions, written to
var/bench/studio_contact_sheet.jpg to look at.

Goals: a 512×768 picture within 2 s end to end, a 5 s video within 30 s.
"""

from __future__ import annotations

import copy
import io
import statistics
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from generation.avatar.examples import SEED_APPAREL, SEED_DETAILS, SEED_IMAGE, SEED_VIDEO

from .report import Result, throwaway_django

OUTPUT = Path(__file__).resolve().parents[1] / "var" / "bench"
IMAGE_GOAL_S = 2.0
VIDEO_GOAL_S = 30.0


def run(quick: bool = False) -> Result:
    result = Result("studio", "Avatar studio door end to end: /generate → worker → /get_gallery_image (512×768), "
                              "and a 5 s video at 24 fps")
    with throwaway_django("bench-studio-"):
        client, headers = _signed_in_client()
        pictures = [_picture(client, headers) for _ in range(2 if quick else 4)]
        first, warm = pictures[0], [p["total s"] for p in pictures[1:]]
        result.rows.append({"what": "first picture after start", **first, "goal s": IMAGE_GOAL_S,
                            "time / goal": first["total s"] / IMAGE_GOAL_S})
        result.rows.append({"what": f"picture, median of {len(warm)}", "total s": statistics.median(warm),
                            "goal s": IMAGE_GOAL_S, "time / goal": statistics.median(warm) / IMAGE_GOAL_S})
        video = _video(client, headers, duration=2 if quick else 5)
        result.rows.append({"what": f"video {video['seconds']} s at 24 fps ({video['frames']} frames)",
                            "total s": video["total s"], "goal s": VIDEO_GOAL_S,
                            "time / goal": video["total s"] / VIDEO_GOAL_S})
        result.notes.append(f"the first picture's stages: {first['stages']}; the video's: {video['stages']}")
    sheet = contact_sheet(OUTPUT / "studio_contact_sheet.jpg")
    result.notes.append(f"contact sheet of {sheet['renders']} renders ({sheet['seconds']:.1f} s): {sheet['path']}")
    median = statistics.median(warm)
    result.summary = (f"studio picture {median:.2f} s (first after start {first['total s']:.2f} s; goal <= "
                      f"{IMAGE_GOAL_S:.0f} s), {video['seconds']} s video {video['total s']:.1f} s (goal <= "
                      f"{VIDEO_GOAL_S:.0f} s for 5 s)")
    return result


def _signed_in_client():
    from django.test import Client

    from accounts.models import Session, User
    from accounts.services import door_token, start_session

    user = User.objects.create_user(email="bench@example.com", password="Bench-Passw0rd!", username="bench",
                                    email_verified=True)
    session = start_session(None, user, kind=Session.Kind.PASSWORD, door="studio")
    return Client(SERVER_NAME="localhost"), {"HTTP_AUTHORIZATION": f"Bearer {door_token(session)}"}


def _made(client, headers, path, body):
    """Posts a request, runs its item as a worker would, and answers (task id, seconds to finish, stages)."""
    from gallery.models import Item
    from gallery.tasks import run_item
    from generation.models import Generation

    started = time.monotonic()
    response = client.post(path, body, content_type="application/json", **headers)
    assert response.status_code == 200, response.content
    task_id = response.json()["task_id"]
    item = Item.objects.get(generation=Generation.objects.get(task_id=task_id))
    outcome = run_item(str(item.pk))
    assert outcome == "done", Item.objects.get(pk=item.pk).failure_reason
    status = client.get(f"/generate/{task_id}", **headers).json()
    assert status == {"status": 2, "position": -1}, status
    item.refresh_from_db()
    stages = ", ".join(f"{name} {timing.get('took', 0):.2f} s" for name, timing in item.timings.items()
                       if isinstance(timing, dict))
    return task_id, time.monotonic() - started, stages


def _picture(client, headers):
    started = time.monotonic()
    task_id, _, stages = _made(client, headers, "/generate", SEED_IMAGE)
    response = client.get(f"/get_gallery_image/{task_id}-1", **headers)
    image = Image.open(io.BytesIO(b"".join(response.streaming_content)))
    return {"total s": time.monotonic() - started, "size": f"{image.width}×{image.height}", "stages": stages}


def _video(client, headers, duration):
    import tempfile

    import imageio_ffmpeg

    body = copy.deepcopy(SEED_VIDEO)
    body["video_options"]["duration"] = duration
    started = time.monotonic()
    task_id, _, stages = _made(client, headers, "/generate_video", body)
    response = client.get(f"/get_gallery_video/{task_id}", **headers)
    with tempfile.NamedTemporaryFile(suffix=".mp4") as handle:
        handle.write(b"".join(response.streaming_content))
        handle.flush()
        frames, _ = imageio_ffmpeg.count_frames_and_secs(handle.name)
    return {"total s": time.monotonic() - started, "frames": frames, "seconds": duration, "stages": stages}


# --- the contact sheet ---------------------------------------------------------------------------

def _variant(label, details=None, apparel=None):
    return label, {**SEED_DETAILS, "expression": "Neutral", "background_color_hex": "F2F2F2FF",
                   "body_dimensions": [], "body_dimension_lengths": [], **(details or {})}, {**SEED_APPAREL,
                                                                                           **(apparel or {})}


def _slider(key, value):
    return {"body_dimensions": [{"key": key, "value": value}]}


VARIANTS = [
    _variant("average"),
    _variant("muscular 2", _slider("b_{main}_muscular", 2)),
    _variant("skinny 2", _slider("b_{main}_skinny", 2)),
    _variant("overweight 2", _slider("b_{main}_overweight", 2)),
    _variant("belly 2", _slider("b_{Torso}_Belly Size", 2)),
    _variant("male", {"gender": "Male"}),
    _variant("T-Pose", {"pose": "T-Pose"}),
    _variant("A-Pose", {"pose": "A-Pose"}),
    _variant("Left", {"camera_view": "Left"}),
    _variant("Back", {"camera_view": "Back"}),
    _variant("FrontRight", {"camera_view": "FrontRight"}),
    _variant("spine 1.2", {"body_dimension_lengths": [{"key": "spine", "value": {"x": 1, "y": 1.2, "z": 1}}]}),
    _variant("Smile (head)", {"expression": "Smile", "view_mode": 2}),
    _variant("Kiss (head)", {"expression": "Kiss", "view_mode": 2}),
    _variant("Surprise (head)", {"expression": "Surprise", "view_mode": 2}),
    _variant("upper body", {"view_mode": 1}),
    _variant("Hoodie", apparel={"item_id": "Hoodie", "color": "Red"}),
    _variant("Dress", apparel={"item_id": "Dress", "color": "Navy"}),
    _variant("Skirt", apparel={"item_id": "Skirt", "color": "White"}),
    _variant("ShortSleeve", apparel={"item_id": "ShortSleeve", "color": "Green"}),
    _variant("hair 0, tone 0", {"hairstyle": "0", "skin_tone": 0, "view_mode": 1}),
    _variant("hair 3, tone 5", {"hairstyle": "3", "skin_tone": 5, "view_mode": 1}),
    _variant("hair 6, tone 9", {"hairstyle": "6", "skin_tone": 9, "view_mode": 1}),
    _variant("long face", {"face_shape": "long", "view_mode": 2}),
]


def contact_sheet(path: Path, width=192, height=288, columns=6):
    """Renders every variant and lays them out, labelled, in one JPEG at `path`."""
    from generation.avatar.render import Renderer
    from generation.avatar.spec import parse
    from generation.avatar.studio import figure_for

    started = time.monotonic()
    tiles = []
    with Renderer(width, height) as renderer:
        for label, details, apparel in VARIANTS:
            spec = parse(details, apparel, None, None)
            image = renderer.render(figure_for(spec), view=spec.camera_view, view_mode=spec.view_mode,
                                    background=tuple(c / 255 for c in _rgb(details["background_color_hex"])))
            tile = Image.fromarray(np.asarray(image)).convert("RGB")
            ImageDraw.Draw(tile).text((6, 4), label, fill=(20, 20, 20))
            tiles.append(tile)
    rows = -(-len(tiles) // columns)
    sheet = Image.new("RGB", (columns * width, rows * height), (255, 255, 255))
    for index, tile in enumerate(tiles):
        sheet.paste(tile, ((index % columns) * width, (index // columns) * height))
    path.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(path, quality=90)
    return {"renders": len(tiles), "seconds": time.monotonic() - started, "path": path}


def _rgb(hex_rgba):
    return tuple(int(hex_rgba[i:i + 2], 16) for i in (0, 2, 4))
