"""Photos picked one by one (not zipped): checked before a byte is sent, sent as one stream in parts that cut
across photos, and packed by the worker into a zip that reads as the person's own .zip of them."""

import io
import zipfile

import pytest

from captures import services
from captures.models import Capture
from core.errors import Conflict, Invalid
from media import MediaError, extract_images
from media.archive import MAX_PHOTOS, pack_photos
from tests.data import shared
from tests.factories import UserFactory

from .test_upload_lifecycle import Stream

MILK = "multiview_milk/images"


@pytest.fixture
def photos():
    """Nine real photos (1140×855 JPEGs of a milk carton), as (name, bytes)."""
    paths = sorted(shared(MILK).glob("*.jpg"), key=lambda path: int(path.stem))[:9]
    return [(path.name, path.read_bytes()) for path in paths]


def listed(photos):
    return [{"name": name, "size": len(data)} for name, data in photos]


def test_photos_in_one_stream_are_packed_into_a_zip_of_the_same_photos(photos, tmp_path):
    stream = io.BytesIO(b"".join(data for _, data in photos))
    packed = tmp_path / "photos.zip"
    assert pack_photos(stream, [(name, len(data)) for name, data in photos], packed) == 9

    with zipfile.ZipFile(packed) as archive:
        assert archive.namelist() == [name for name, _ in photos]
        assert {info.compress_type for info in archive.infolist()} == {zipfile.ZIP_STORED}
        assert [archive.read(name) for name, _ in photos] == [data for _, data in photos]
    extracted = extract_images(packed, tmp_path / "out")
    assert [path.read_bytes() for path in extracted] == [data for _, data in photos]


def test_photos_of_the_same_name_from_two_folders_are_both_kept(photos, tmp_path):
    (_, first), (_, second) = photos[:2]
    stream = io.BytesIO(first + second)
    pack_photos(stream, [("left/IMG_1.jpg", len(first)), ("right/../IMG_1.jpg", len(second))], tmp_path / "p.zip")
    with zipfile.ZipFile(tmp_path / "p.zip") as archive:
        assert archive.namelist() == ["left/IMG_1.jpg", "right/IMG_1.jpg"]
    # Folders ("..", too) never leave the archive's root; the same name twice is made unique.
    stream = io.BytesIO(first + second)
    pack_photos(stream, [("IMG_1.jpg", len(first)), ("../IMG_1.jpg", len(second))], tmp_path / "q.zip")
    with zipfile.ZipFile(tmp_path / "q.zip") as archive:
        assert archive.namelist() == ["IMG_1.jpg", "IMG_1-2.jpg"]
        assert archive.read("IMG_1-2.jpg") == second


def test_a_stream_shorter_than_the_photos_is_refused_naming_the_photo(photos, tmp_path):
    (name, first), (_, second) = photos[:2]
    stream = io.BytesIO(first + second[:100])
    with pytest.raises(MediaError, match=r"The upload ended inside the photo '2.jpg': "
                                         rf"{len(second) - 100:,} of its {len(second):,} bytes are missing"):
        pack_photos(stream, [(name, len(first)), ("2.jpg", len(second))], tmp_path / "p.zip")


@pytest.mark.django_db
def test_a_photo_set_is_planned_as_one_upload_of_its_photos_added_up(photos, settings):
    settings.UPLOAD_CHUNK_SIZE = 300_000
    total = sum(len(data) for _, data in photos)
    capture = services.start_multipart(owner=UserFactory(), name="Milk", bytesize=total, input_data_format="",
                                       photo_files=listed(photos))
    assert capture.is_photo_set and capture.photo_files == listed(photos)
    assert capture.input_data_format == Capture.Format.BULK_IMAGES
    assert capture.original_filename == "photos.zip"
    assert (capture.chunk_size, capture.num_parts) == (300_000, -(-total // 300_000))
    # Its size is that of the photos: a client cannot re-plan it to something else.
    with pytest.raises(Conflict, match="its size cannot change"):
        services.replan(capture, total + 1)


@pytest.mark.django_db
@pytest.mark.parametrize(("change", "message"), [
    (lambda files: files + [{"name": "clip.mov", "size": 10}, {"name": "notes.txt", "size": 3}],
     "Only JPEG and PNG photos can go with other photos; not clip.mov, notes.txt. Leave them out, or upload a "
     "video or a .zip on its own."),
    (lambda files: files + [{"name": "IMG_0001.HEIC", "size": 10}],
     "Only JPEG and PNG photos can go with other photos; not IMG_0001.HEIC. Leave it out, or upload a video or a "
     ".zip on its own."),
    (lambda files: files[:7],
     "7 photos chosen; at least 8 are needed to reconstruct an object. Pick photos taken from all around it."),
    (lambda files: files[:1],
     "1 photo chosen; at least 8 are needed to reconstruct an object. Pick photos taken from all around it."),
    (lambda files: files[:8] + [{"name": "empty.jpg", "size": 0}],
     "empty.jpg is empty or its size is missing: choose the photos again."),
    (lambda files: files * 600,
     f"5,400 photos were chosen; at most {MAX_PHOTOS:,} go in one capture."),
])
def test_a_photo_set_that_cannot_be_reconstructed_is_refused_before_its_upload(photos, change, message):
    files = change(listed(photos))
    with pytest.raises(Invalid) as refused:
        services.start_multipart(owner=UserFactory(), name="Milk", bytesize=sum(f["size"] for f in files),
                                 input_data_format="", photo_files=files)
    assert refused.value.message == message
    assert not Capture.objects.exists()


@pytest.mark.django_db
def test_photos_whose_sizes_do_not_add_up_to_the_upload_are_refused(photos):
    with pytest.raises(Invalid, match=r"bytesize must be the photos' sizes added up \(\d+\), not 5\."):
        services.start_multipart(owner=UserFactory(), name="Milk", bytesize=5, input_data_format="",
                                 photo_files=listed(photos))


@pytest.mark.django_db(transaction=True)
def test_parts_that_cut_across_photos_are_joined_into_a_zip_of_the_photos(photos, settings, tmp_path):
    settings.UPLOAD_CHUNK_SIZE = 250_000  # each part ends inside a photo
    data = b"".join(photo for _, photo in photos)
    capture = services.start_multipart(owner=UserFactory(), name="Milk", bytesize=len(data), input_data_format="",
                                       photo_files=listed(photos),
                                       reconstruction_parameters={"preset": "draft"})
    etags = []
    for number in range(1, capture.num_parts + 1):
        part = data[(number - 1) * capture.chunk_size:number * capture.chunk_size]
        etags.append({"number": number, "etag": services.receive_part(capture, number, Stream(part), len(part))})
    assert capture.num_parts == 4
    services.complete_multipart(capture, etags)

    source = services.assemble(Capture.objects.get(pk=capture.pk))
    capture.refresh_from_db()
    assert capture.input_data_format == Capture.Format.BULK_IMAGES
    assert source.name.endswith("source.zip") and not capture.parts.exists()
    extracted = extract_images(source.path, tmp_path / "out")
    assert [path.read_bytes() for path in extracted] == [photo for _, photo in photos]
