"""Forms of the captures pages: a new capture (checked before a byte is sent), rename, visibility, list filter."""

from pathlib import PurePosixPath

from django import forms
from django.conf import settings

from captures import estimates, limits
from captures.models import Capture
from captures.reconstruction import presets
from captures.reconstruction.frames import MIN_FRAMES
from captures.reconstruction.presets import Source
from captures.selectors import reconstruction_methods
from captures.services import check_photo_files, max_upload_bytes
from core.errors import ServiceError
from core.names import validate_name
from media.archive import IMAGE_SUFFIXES, MAX_PHOTOS

MIN_ITERATIONS, MAX_ITERATIONS = 100, 30_000

# What a person reads for each Capture.state, and the badge (static/css/atlas.css) that shows it.
STATES = {
    Capture.State.CREATED: ("Waiting for the upload", "uploading"),
    Capture.State.UPLOADING: ("Uploading", "uploading"),
    Capture.State.UPLOADED: ("Queued", "queued"),
    Capture.State.PROCESSING: ("Processing", "processing"),
    Capture.State.READY: ("Ready", "done"),
    Capture.State.FAILED: ("Failed", "failed"),
}

# The files a capture can be made from, by suffix: the videos of captures.limits.ANY_VIDEO, or a zip of photos.
# Photos (IMAGE_SUFFIXES) come several at once, as photo_files.
FORMATS_BY_SUFFIX = {
    **{f".{name}": Capture.Format.VIDEO for name in sorted(limits.ANY_VIDEO["formats"])},
    ".zip": Capture.Format.BULK_IMAGES,
}
ACCEPT = ",".join([*FORMATS_BY_SUFFIX, *sorted(IMAGE_SUFFIXES), "video/mp4", "video/quicktime",
                   "application/zip", "image/jpeg", "image/png"])
CHOOSE = "Choose a video (.mp4 or .mov), photos (JPEG or PNG, several at once), or a .zip of photos."


def human_size(size):
    """1.9 MB, 50 GB: a size as people write it."""
    for unit, scale in (("TB", 1024**4), ("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)):
        if size >= scale:
            return f"{size / scale:.1f}".removesuffix(".0") + f" {unit}"
    return f"{size} bytes"


def state_words(state):
    """(label, badge class) of a Capture.state."""
    return STATES.get(state, (str(state).title(), "created"))


max_bytes = max_upload_bytes  # the limit the upload's service applies


def upload_limits():
    """The limits a file must keep, in words, shown before anything is uploaded."""
    video = limits.ANY_VIDEO
    width, height = video["max_resolution"]
    video_formats = " or ".join(name.upper() for name in sorted(video["formats"]))
    return [
        f"A video: {video_formats}, up to {human_size(max_bytes(Capture.Format.VIDEO))}, "
        f"{video['max_duration'] // 60} minutes and {width}×{height} pixels.",
        f"Or photos: {MIN_FRAMES} to {MAX_PHOTOS:,} JPEG or PNG images, picked or dropped together (a folder "
        f"is fine) or in a .zip, up to {human_size(max_bytes(Capture.Format.BULK_IMAGES))} in all, each at most "
        f"{settings.IMAGE_MAX_PIXELS / 1e6:g} megapixels.",
    ]


class NewCaptureForm(forms.Form):
    """What a capture will be, validated before the upload starts.

    The browser sends the chosen file's name and size, never its bytes: those go up in parts afterwards
    (static/js/uploader.js). The file input itself is drawn by the template; its errors are those of
    file_name and file_size.
    """

    name = forms.CharField(
        label="Name", max_length=Capture._meta.get_field("name").max_length, validators=[validate_name],
        widget=forms.TextInput(attrs={"placeholder": "e.g. Armchair in the garden", "autocomplete": "off"}),
    )
    file_name = forms.CharField(required=False, max_length=255, widget=forms.HiddenInput)
    file_size = forms.IntegerField(required=False, widget=forms.HiddenInput)
    # Photos picked together: [{"name", "size"}] in the order their bytes will be sent (file_name/size unused).
    photo_files = forms.JSONField(required=False, widget=forms.HiddenInput)
    method = forms.ChoiceField(label="Method", choices=())
    preset = forms.ChoiceField(label="Quality", choices=(), widget=forms.RadioSelect, required=False)
    iterations = forms.IntegerField(
        label="Training iterations", min_value=MIN_ITERATIONS, max_value=MAX_ITERATIONS, required=False,
        help_text=f"Custom only, from {MIN_ITERATIONS:,} to {MAX_ITERATIONS:,}, at Standard's image size: more "
                  "iterations give a sharper model and take longer.",
        widget=forms.NumberInput(attrs={"step": 100}),
    )

    FILE_FIELDS = ("file_name", "file_size", "photo_files")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        methods = reconstruction_methods()
        self.fields["method"].choices = methods
        if methods:
            self.fields["method"].initial = methods[0][0]
        if len(methods) == 1:  # nothing to choose: the one method goes with the form, unseen
            self.fields["method"].widget = forms.HiddenInput()
        self.estimates = estimates.estimates(Source())
        self.fields["preset"].choices = [*((e["name"], e["label"]) for e in self.estimates),
                                         (presets.CUSTOM, "Custom")]
        self.fields["preset"].initial = settings.RECONSTRUCTION_PRESET
        self.fields["iterations"].initial = (settings.RECONSTRUCTION_DEFAULT_ITERATIONS
                                             or presets.preset(presets.DEFAULT, self.estimates_kind).iterations)

    @property
    def estimates_kind(self):
        return estimates.workers_kind()

    def clean(self):
        cleaned = super().clean()
        if "preset" not in self.errors and not cleaned.get("preset"):  # a page from before the presets: iterations
            cleaned["preset"] = presets.CUSTOM if cleaned.get("iterations") else settings.RECONSTRUCTION_PRESET
        custom = cleaned.get("preset") == presets.CUSTOM
        if custom and not cleaned.get("iterations") and "iterations" not in self.errors:
            self.add_error("iterations", "Custom needs a number of training iterations.")
        if any(field in self.errors for field in self.FILE_FIELDS):
            return cleaned
        if cleaned.get("photo_files"):
            return self._clean_photo_files(cleaned)
        file_name, file_size = cleaned.get("file_name"), cleaned.get("file_size")
        if not file_name:
            self.add_error("file_name", CHOOSE)
            return cleaned
        suffix = PurePosixPath(file_name.lower()).suffix
        input_data_format = FORMATS_BY_SUFFIX.get(suffix)
        if suffix in IMAGE_SUFFIXES:
            self.add_error("file_name", f"{file_name} is one photo; at least {MIN_FRAMES} are needed. Pick the "
                                        "photos together (or drop their folder here), or upload a .zip of them.")
            return cleaned
        if input_data_format is None:
            self.add_error("file_name", f"{file_name} is not a video, a photo or a zip. {CHOOSE}")
            return cleaned
        if not file_size or file_size < 1:
            self.add_error("file_size", f"{file_name} is empty. Choose the file again.")
        elif file_size > max_bytes(input_data_format):
            self.add_error("file_size", f"{file_name} is {human_size(file_size)}; the limit is "
                                        f"{human_size(max_bytes(input_data_format))}.")
        cleaned["input_data_format"] = input_data_format
        return cleaned

    def _clean_photo_files(self, cleaned):
        try:
            photos = check_photo_files(cleaned["photo_files"])
        except ServiceError as exc:
            self.add_error("photo_files", exc.message)
            return cleaned
        total, limit = sum(photo["size"] for photo in photos), max_bytes(Capture.Format.BULK_IMAGES)
        if total > limit:
            self.add_error("photo_files", f"The {len(photos):,} photos add up to {human_size(total)}; the limit is "
                                          f"{human_size(limit)}.")
            return cleaned
        cleaned.update(photo_files=photos, file_size=total, input_data_format=Capture.Format.BULK_IMAGES)
        return cleaned

    @property
    def file_errors(self):
        return [message for field in self.FILE_FIELDS for message in self.errors.get(field, [])]

    def errors_by_control(self):
        """{control: [messages]} as the page shows them: file_name's and file_size's go with the file input."""
        errors = {field: list(messages) for field, messages in self.errors.items() if field not in self.FILE_FIELDS}
        if self.file_errors:
            errors["file"] = self.file_errors
        return errors

    @property
    def reconstruction_parameters(self):
        parameters = {"method": self.cleaned_data["method"], "preset": self.cleaned_data["preset"]}
        if parameters["preset"] == presets.CUSTOM:
            parameters["iterations"] = self.cleaned_data["iterations"]
        return parameters


class EstimateForm(forms.Form):
    """What the browser knows of the chosen file before it is sent, for the presets' expected times: a video's
    frame size (read from its metadata), or that it is photos (and how many, when it knows)."""

    kind = forms.ChoiceField(choices=[("video", "video"), ("photos", "photos")])
    width = forms.IntegerField(required=False, min_value=1, max_value=16_384)
    height = forms.IntegerField(required=False, min_value=1, max_value=16_384)
    photos = forms.IntegerField(required=False, min_value=1, max_value=MAX_PHOTOS)

    def source(self):
        data = self.cleaned_data
        return Source(data["kind"], data.get("width"), data.get("height"), data.get("photos"))


class RenameForm(forms.Form):
    name = forms.CharField(label="Name", max_length=Capture._meta.get_field("name").max_length,
                           validators=[validate_name])


class VisibilityForm(forms.Form):
    is_public = forms.BooleanField(required=False)


class PreviewVisibilityForm(forms.Form):
    show_preview_publicly = forms.BooleanField(label="Show the video preview on the public page", required=False)


class StateFilterForm(forms.Form):
    """The list's controls, a GET form: a search in the names, every state or one, and the order."""

    q = forms.CharField(label="Search", required=False, max_length=200, strip=True,
                        widget=forms.TextInput(attrs={"type": "search", "placeholder": "Search by name",
                                                      "aria-label": "Search by name"}))
    state = forms.ChoiceField(label="State", required=False,
                              choices=[("", "All states"), *((state, label) for state, (label, _) in STATES.items())])
    sort = forms.ChoiceField(label="Sort", required=False,
                             choices=[("newest", "Newest first"), ("oldest", "Oldest first"), ("name", "Name, A–Z")])

    def values(self):
        """{"q", "state", "sort"} as the list applies them: what is valid of what was sent, the rest left out."""
        self.is_valid()
        cleaned = getattr(self, "cleaned_data", {})
        return {name: cleaned.get(name) or "" for name in ("q", "state", "sort")}


class RunAgainForm(forms.Form):
    """Run again: the same quality choices as a new capture (NewCaptureForm's preset, iterations and their
    checks), and the method only where several registered methods take this capture's format."""

    method = forms.ChoiceField(label="Method", choices=(), required=False)
    preset = NewCaptureForm.base_fields["preset"]
    iterations = NewCaptureForm.base_fields["iterations"]

    def __init__(self, *args, capture, **kwargs):
        from captures.services import methods_for

        super().__init__(*args, **kwargs)
        self.methods = methods_for(capture)
        self.fields["method"].choices = self.methods
        self.fields["preset"].choices = [*((e["name"], e["label"]) for e in estimates.estimates(Source())),
                                         (presets.CUSTOM, "Custom")]
        self.fields["preset"].initial = settings.RECONSTRUCTION_PRESET
        self.fields["iterations"].initial = (settings.RECONSTRUCTION_DEFAULT_ITERATIONS
                                             or presets.preset(presets.DEFAULT, estimates.workers_kind()).iterations)
        newest = capture.runs().first()
        if newest is not None:
            self.fields["method"].initial = newest.pipeline
            self.fields["preset"].initial = newest.parameters.get("preset") or self.fields["preset"].initial
            if newest.parameters.get("iterations"):
                self.fields["iterations"].initial = newest.parameters["iterations"]

    @property
    def several_methods(self):
        return len(self.methods) > 1

    def clean(self):
        cleaned = super().clean()
        if "preset" not in self.errors and not cleaned.get("preset"):
            cleaned["preset"] = presets.CUSTOM if cleaned.get("iterations") else settings.RECONSTRUCTION_PRESET
        if cleaned.get("preset") == presets.CUSTOM and not cleaned.get("iterations") \
                and "iterations" not in self.errors:
            self.add_error("iterations", "Custom needs a number of training iterations.")
        return cleaned

    @property
    def run_parameters(self):
        data = self.cleaned_data
        custom = data["preset"] == presets.CUSTOM
        return {"method": data.get("method") or None, "preset": data["preset"],
                "iterations": data["iterations"] if custom else None}
