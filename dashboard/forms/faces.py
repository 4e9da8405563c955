"""Forms of the Face ID pages: a project and its settings, a person, photos to enrol, and a .zip of people."""

import zipfile

from django import forms
from django.conf import settings

from core.names import validate_name
from faces import recognition
from faces.models import FaceProject, Subject
from faces.pipelines import people_import
from roles.models import Group

PHOTO_ACCEPT = "image/jpeg,image/png,image/webp"
ZIP_ACCEPT = ".zip,application/zip"


def photo_max_bytes():
    return settings.FACE_BODY_MAX_BYTES


class ProjectForm(forms.ModelForm):
    """A project's settings. `group` offers the groups `user` belongs to (and the one already set)."""

    match_threshold = forms.FloatField(
        label="Match threshold (%)", min_value=0, max_value=100,
        help_text="How similar (percent) a face must be to an enrolled person's to be taken as them. Higher "
                  "lets fewer strangers through and turns away more real people.",
        widget=forms.NumberInput(attrs={"step": "0.5"}))

    class Meta:
        model = FaceProject
        fields = ["name", "match_threshold", "group", "save_recognition_images"]
        labels = {"group": "Share with group",
                  "save_recognition_images": "Keep check-in photos in the log"}
        widgets = {"name": forms.TextInput(attrs={"placeholder": "e.g. Reception, Summer party",
                                                  "autocomplete": "off"})}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["name"].validators.append(validate_name)
        groups = Group.objects.filter(members=user)
        if self.instance.group_id:
            groups = groups | Group.objects.filter(pk=self.instance.group_id)
        group = self.fields["group"]
        group.queryset = groups.distinct().order_by("name")
        group.empty_label = "Nobody else: only you"
        group.help_text = "Members of the group can enrol people and check in; only you can change or delete it."
        self.fields["save_recognition_images"].help_text = (
            "Each check-in's photo is stored with its log line, visible only to the project's users.")


class NewProjectForm(ProjectForm):
    issue_key = forms.BooleanField(
        label="Make an API key for this project's devices", required=False, initial=True,
        help_text="A key and secret a kiosk or an app exchanges for a Face ID API token. "
                  "The secret is shown once, on the next page.")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        self.fields["match_threshold"].initial = recognition.DEFAULT_THRESHOLD
        if not user.has_perm("accounts.issue_api_key"):
            del self.fields["issue_key"]


class PersonForm(forms.Form):
    name = forms.CharField(label="Name", max_length=150, validators=[validate_name],
                           widget=forms.TextInput(attrs={"placeholder": "e.g. Ada Lovelace", "autocomplete": "off"}))
    status = forms.CharField(label="Status", max_length=Subject._meta.get_field("status").max_length, required=False,
                             help_text="Your own state of the person, e.g. APPROVED.",
                             widget=forms.TextInput(attrs={"placeholder": "APPROVED", "autocomplete": "off"}))
    group_id = forms.IntegerField(label="Group number", required=False, min_value=-(2**63), max_value=2**63 - 1,
                                  help_text="Your own grouping, e.g. a team or a site.")

    @classmethod
    def of(cls, subject):
        return cls(initial={"name": subject.properties.get("name", "") if isinstance(subject.properties, dict) else "",
                            "status": subject.status, "group_id": subject.group_id})

    def changes(self, subject=None):
        """The Subject fields this form sets; other properties of `subject` are kept."""
        properties = dict(subject.properties) if subject is not None and isinstance(subject.properties, dict) else {}
        properties["name"] = self.cleaned_data["name"]
        return {"properties": properties, "status": self.cleaned_data["status"],
                "group_id": self.cleaned_data["group_id"]}


class MultiplePhotoInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    widget = MultiplePhotoInput

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else [data] if data else []
        if not files:
            raise forms.ValidationError("Choose one or more photos of the person's face.")
        return [super(PhotosField, self).clean(item, initial) for item in files]


class EnrolForm(forms.Form):
    photos = PhotosField(label="Photos", widget=MultiplePhotoInput(attrs={"accept": PHOTO_ACCEPT, "multiple": True}))
    save_image = forms.BooleanField(label="Keep the photos (shown here, visible only to the project's users)",
                                    required=False, initial=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["photos"].help_text = (
            f"JPEG, PNG or WEBP, up to {photo_max_bytes() // (1024 * 1024)} MB each; one face per photo, facing "
            f"the camera. A person can have up to {settings.FACE_MAX_PER_PERSON} faces.")

    def clean_photos(self):
        photos = self.cleaned_data["photos"]
        if len(photos) > settings.FACE_MAX_PER_PERSON:
            raise forms.ValidationError(f"Choose at most {settings.FACE_MAX_PER_PERSON} photos at once.")
        return photos


def archive_max_bytes():
    return people_import.MAX_ARCHIVE_BYTES


def size_words(size):
    """2 GB, 1.5 GB, 300 MB: one decimal at most."""
    value, unit = (size / 1024**3, "GB") if size >= 1024**3 else (size / 1024**2, "MB")
    return f"{value:.1f}".removesuffix(".0") + f" {unit}"


class ImportPeopleForm(forms.Form):
    """A .zip of people's photos, enrolled on a worker (faces/pipelines/people_import.py)."""

    archive = forms.FileField(label="A .zip of photos", widget=forms.ClearableFileInput(attrs={"accept": ZIP_ACCEPT}),
                              error_messages={"required": "Choose a .zip file of the people's photos."})
    status = forms.ChoiceField(label="Status of the new people", initial="APPROVED",
                               choices=[("APPROVED", "APPROVED"), ("UNAPPROVED", "UNAPPROVED")],
                               help_text="People already in the project under the same name keep theirs.")
    save_images = forms.BooleanField(label="Keep the photos", required=False, initial=True,
                                     help_text="Shown on each person's page, visible only to the project's users.")

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "id_import_%s")  # the project page's person form has a `status` too
        super().__init__(*args, **kwargs)
        self.fields["archive"].help_text = (
            f"JPEG or PNG photos, up to {size_words(archive_max_bytes())} in all and {people_import.MAX_PHOTOS} "
            "photos; one face per photo.")

    def clean_archive(self):
        archive = self.cleaned_data["archive"]
        if not (archive.name or "").lower().endswith(".zip"):
            raise forms.ValidationError(f"“{archive.name}” is not a .zip file. Zip the photos (a folder per person, "
                                        "or files named after each person) and choose the .zip.")
        if archive.size > archive_max_bytes():
            raise forms.ValidationError(f"The .zip is {size_words(archive.size)}; an import takes at most "
                                        f"{size_words(archive_max_bytes())}. Split the photos into several .zip "
                                        "files.")
        try:
            readable = zipfile.is_zipfile(archive)
        finally:
            archive.seek(0)
        if not readable:
            raise forms.ValidationError(f"“{archive.name}” is not a ZIP archive, or it is damaged. Zip the photos "
                                        "again and choose the new file.")
        return archive
