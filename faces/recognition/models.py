"""Finding and loading dlib's model files, once per process.

The files ship in the PyPI package face_recognition_models (pinned in requirements.txt). Its __init__
imports pkg_resources, which current setuptools no longer has, so the package is never imported: only its
folder is located through the import system. Nothing is ever downloaded.
"""

from __future__ import annotations

import importlib.util
import threading
from pathlib import Path

import dlib

PACKAGE = "face_recognition_models"
LANDMARKS_5 = "shape_predictor_5_face_landmarks.dat"
RESNET = "dlib_face_recognition_resnet_model_v1.dat"
CNN_DETECTOR = "mmod_human_face_detector.dat"


class ModelsMissing(RuntimeError):
    """dlib's model files are not installed: a broken install, not a bad photo."""


def models_folder() -> Path:
    """The `models/` folder of the installed face_recognition_models package."""
    spec = importlib.util.find_spec(PACKAGE)
    locations = list(spec.submodule_search_locations or []) if spec else []
    for location in locations:
        folder = Path(location) / "models"
        if folder.is_dir():
            return folder
    raise ModelsMissing(f"The face model files are missing: the Python package {PACKAGE} is not installed. "
                        f"Install it with `pip install -r requirements.txt` ({PACKAGE}==0.3.0).")


def model_path(name: str) -> Path:
    path = models_folder() / name
    if not path.is_file():
        raise ModelsMissing(f"The face model file {path} is missing: reinstall {PACKAGE} "
                            f"(`pip install --force-reinstall {PACKAGE}==0.3.0`).")
    return path


_lock = threading.Lock()
_loaded: dict[str, object] = {}
# dlib's HOG detector and its networks keep per-call scratch state in the object (the scanner's image
# pyramid, the network's tensors), so one shared model serves one call at a time. The shape predictor is
# read-only and needs none.
IN_USE = {"hog": threading.Lock(), "cnn": threading.Lock(), "encoder": threading.Lock()}


def _once(key: str, load):
    # Double-checked: the common path takes no lock; the ResNet takes about a second to load, and two
    # threads arriving together load it once.
    model = _loaded.get(key)
    if model is None:
        with _lock:
            model = _loaded.get(key)
            if model is None:
                model = _loaded[key] = load()
    return model


def hog_detector():
    return _once("hog", dlib.get_frontal_face_detector)


def cnn_detector():
    return _once("cnn", lambda: dlib.cnn_face_detection_model_v1(str(model_path(CNN_DETECTOR))))


def landmarks():
    return _once("landmarks", lambda: dlib.shape_predictor(str(model_path(LANDMARKS_5))))


def encoder():
    return _once("encoder", lambda: dlib.face_recognition_model_v1(str(model_path(RESNET))))
