"""Seed 003 "Clothes": /upload_clothes (an Excel catalogue per account) and /get_clothes (public), at their exact paths.

Every success answers 200; every error `{"message": ...}`, plus `errors` (`[{"row", "column", "problem"}]`) when
an uploaded file was read and has problems.
"""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from generation.models import Garment
from roles.models import Role
from tests.conftest import bearer
from tests.factories import UserFactory
from tests.generation.sheets import HEADER, SEED_CLOTH1, SEED_TABLE, garment_row, xls_fixture, xlsx

pytestmark = pytest.mark.django_db

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def upload(api, headers, content, name="clothes.xlsx", field="file", content_type=XLSX_TYPE):
    return api.post("/upload_clothes", {field: SimpleUploadedFile(name, content, content_type)}, format="multipart",
                    **headers)


def get_clothes(api, body, **headers):
    return api.post("/get_clothes", body, format="json", **headers)


def message(response):
    assert response.status_code == 200, response.content
    body = response.json()
    assert list(body) == ["message"] and body["message"]
    return body["message"]


def error(response, status):
    assert response.status_code == status, response.content
    body = response.json()
    assert list(body) == ["message"] and isinstance(body["message"], str) and body["message"]
    return body["message"]


@pytest.fixture
def headers(user):
    return bearer(user, door="studio")


# --- the seed's example -----------------------------------------------------------------------

def test_the_seed_example_table_uploads_and_cloth1_reads_back_as_the_seed_answers(api, headers):
    assert message(upload(api, headers, xlsx(SEED_TABLE))) == "Imported 3 garments from clothes.xlsx."

    # The seed's request, word for word, with no token: the name's case is ignored.
    response = get_clothes(api, {"url": "https://example.com/1", "name": "cloth1"})
    assert response.status_code == 200
    assert response.json() == SEED_CLOTH1
    assert list(response.json()) == ["gender", "colors", "sizes", "name", "brand", "colors_hex"]

    response = get_clothes(api, {"url": "https://example.com/3", "name": "CLOTH3"})
    assert response.json() == {"gender": "Female", "colors": ["Yellow", "Purple"], "sizes": ["M", "L", "XL", "XXL"],
                               "name": "Cloth3", "brand": "BrandC", "colors_hex": ["#FFFF00", "#800080"]}


def test_the_xls_fixture_uploads_and_its_trailing_space_is_trimmed(api, headers):
    response = upload(api, headers, xls_fixture(), "clothes.xls", content_type="application/vnd.ms-excel")
    assert message(response) == "Imported 4 garments from clothes.xls."
    assert get_clothes(api, {"url": "https://example.com/1", "name": "Cloth1"}).json() == SEED_CLOTH1
    scarf = get_clothes(api, {"url": "https://example.com/4", "name": "scarf"}).json()
    assert (scarf["gender"], scarf["sizes"]) == ("Unisex", ["42"])


def test_any_field_name_and_any_client_content_type(api, headers):
    response = upload(api, headers, xlsx(SEED_TABLE), "catalogue.xlsx", field="upload",
                      content_type="application/octet-stream")
    assert message(response) == "Imported 3 garments from catalogue.xlsx."


def test_a_reupload_says_how_many_it_replaced(api, headers):
    message(upload(api, headers, xlsx(SEED_TABLE)))
    response = upload(api, headers, xlsx([HEADER, garment_row(1), garment_row(5)]), "spring.xlsx")
    assert message(response) == "Imported 2 garments from spring.xlsx; your previous 3 were replaced."
    error(get_clothes(api, {"url": "https://example.com/3", "name": "Cloth3"}), 404)


# --- who may upload ---------------------------------------------------------------------------

def test_uploading_needs_a_token(api):
    text = error(upload(api, {}, xlsx(SEED_TABLE)), 401)
    assert text.startswith("Sign in first")
    assert not Garment.objects.exists()


def test_a_bad_token_is_refused(api):
    assert error(upload(api, {"HTTP_AUTHORIZATION": "Bearer nonsense"}, xlsx(SEED_TABLE)), 401)


def test_reading_needs_no_token_and_ignores_a_bad_one(api, headers):
    message(upload(api, headers, xlsx(SEED_TABLE)))
    response = get_clothes(api, {"url": "https://example.com/1", "name": "Cloth1"},
                           HTTP_AUTHORIZATION="Bearer expired-or-nonsense")
    assert response.status_code == 200 and response.json() == SEED_CLOTH1


def test_the_role_setting_restricts_uploading_with_a_403(api, settings, user, headers):
    settings.STUDIO_CLOTHES_UPLOAD_ROLE = "ADMIN"
    text = error(upload(api, headers, xlsx(SEED_TABLE)), 403)
    assert text == "Uploading clothes needs the role ADMIN or one above it; your account's role is USER. " \
                   "Ask an administrator."
    assert not Garment.objects.exists()

    user.role = Role.objects.get(name="ADMIN")
    user.save()
    assert message(upload(api, headers, xlsx(SEED_TABLE))) == "Imported 3 garments from clothes.xlsx."
    # Reading stays public.
    assert get_clothes(api, {"url": "https://example.com/1", "name": "cloth1"}).json() == SEED_CLOTH1


# --- accounts' catalogues side by side --------------------------------------------------------

def test_another_accounts_reupload_leaves_mine_and_the_newest_upload_answers(api, headers, user):
    other = UserFactory()
    other_headers = bearer(other, door="studio")
    message(upload(api, headers, xlsx(SEED_TABLE)))
    message(upload(api, other_headers, xlsx([HEADER, garment_row(1, Brand="OtherBrand"), garment_row(9)])))
    message(upload(api, other_headers, xlsx([HEADER, garment_row(1, Brand="OtherBrand")])))

    assert Garment.objects.filter(owner=user).count() == 3
    assert Garment.objects.filter(owner=other).count() == 1
    # Both accounts have Cloth1 at https://example.com/1: the most recent upload answers.
    assert get_clothes(api, {"url": "https://example.com/1", "name": "cloth1"}).json()["brand"] == "OtherBrand"
    assert get_clothes(api, {"url": "https://example.com/2", "name": "cloth2"}).json()["brand"] == "BrandB"
    message(upload(api, headers, xlsx(SEED_TABLE)))
    assert get_clothes(api, {"url": "https://example.com/1", "name": "cloth1"}).json() == SEED_CLOTH1


# --- /get_clothes errors ----------------------------------------------------------------------

def test_an_unknown_garment_is_a_404(api, headers):
    message(upload(api, headers, xlsx(SEED_TABLE)))
    text = error(get_clothes(api, {"url": "https://example.com/1", "name": "Cloth2"}), 404)
    assert text == ("No garment called 'Cloth2' at https://example.com/1 is in the catalogue. "
                    "Upload it with /upload_clothes.")
    error(get_clothes(api, {"url": "https://example.com/9", "name": "Cloth1"}), 404)


@pytest.mark.parametrize("body, problem", [
    ({"url": "https://example.com/1"}, "name: This field is required."),
    ({"name": "Cloth1"}, "url: This field is required."),
    ({"url": "https://example.com/1", "name": "  "}, "name: This field may not be blank."),
    ({"url": ["https://example.com/1"], "name": "Cloth1"}, "url: Not a valid string."),
    ({"url": "https://example.com/1", "name": "N" * 201}, "name: Ensure this field has no more than 200 characters."),
    (["https://example.com/1", "Cloth1"], "The request body must be a JSON object."),
])
def test_a_missing_or_invalid_field_is_a_400(api, body, problem):
    assert error(get_clothes(api, body), 400) == problem


def test_a_body_that_is_not_json_is_a_400(api):
    response = api.post("/get_clothes", data="{url", content_type="application/json")
    assert "JSON parse error" in error(response, 400)


def test_get_clothes_answers_post_only(api):
    response = api.get("/get_clothes")
    assert response.status_code == 405 and response["Allow"] == "POST, OPTIONS"


# --- /upload_clothes errors -------------------------------------------------------------------

def test_row_problems_are_a_400_listing_every_one_and_nothing_is_imported(api, headers):
    rows = [HEADER, garment_row(1), garment_row(2, Name="", Gender="Kid"),
            garment_row(3, Colors="Red,Blue", **{"Colors Hex": "#FF0000"}), garment_row(1, Brand="Again")]
    response = upload(api, headers, xlsx(rows))
    assert response.status_code == 400
    assert response.json() == {
        "message": "clothes.xlsx has 4 problems in 3 rows; nothing was imported. Correct them and upload the file "
                   "again.",
        "errors": [
            {"row": 3, "column": "Name", "problem": "empty"},
            {"row": 3, "column": "Gender", "problem": "'Kid' is not a gender here: write Male, Female or Unisex"},
            {"row": 4, "column": "Colors Hex",
             "problem": "1 hex colour for 2 colours: give one hex colour per colour, in the same order"},
            {"row": 5, "column": "Name", "problem": "row 2 already has this URL and name"},
        ],
    }
    assert not Garment.objects.exists()


def test_a_missing_column_is_a_400_naming_it(api, headers):
    rows = [[c for c in HEADER if c != "Sizes"], garment_row(1)[:-1]]
    response = upload(api, headers, xlsx(rows))
    assert response.status_code == 400
    body = response.json()
    assert body["message"].startswith("clothes.xlsx: the header row (row 1) lacks the column Sizes.")
    assert body["errors"] == [{"row": 1, "column": "Sizes", "problem": "the header row has no such column"}]


def test_a_file_that_is_not_a_spreadsheet_is_a_400(api, headers):
    text = error(upload(api, headers, b"URL,Brand\nhttps://example.com/1,A\n", "clothes.csv", content_type="text/csv"),
                 400)
    assert text == ("clothes.csv is not an Excel spreadsheet. Upload the catalogue as .xlsx or .xls, with the columns "
                    "URL, Brand, Gender, Name, Colors, Colors Hex, Sizes.")


def test_an_empty_file_is_a_400(api, headers):
    assert error(upload(api, headers, b""), 400) == "clothes.xlsx is empty. Upload the catalogue as .xlsx or .xls."


def test_a_file_over_the_limit_is_a_400(api, headers, settings):
    settings.STUDIO_CLOTHES_MAX_BYTES = 2048
    assert error(upload(api, headers, xlsx(SEED_TABLE)), 400).startswith("clothes.xlsx is larger than 2 KB.")


def test_a_request_too_large_to_hold_an_acceptable_file_is_refused_before_it_is_read(api, headers, settings):
    settings.STUDIO_CLOTHES_MAX_BYTES = 1024
    response = upload(api, headers, b"x" * (100 * 1024))
    assert error(response, 400).startswith("The file is larger than 1 KB.")


def test_too_many_rows_is_a_400(api, headers, settings):
    settings.STUDIO_CLOTHES_MAX_ROWS = 2
    text = error(upload(api, headers, xlsx(SEED_TABLE)), 400)
    assert text.startswith("clothes.xlsx has more than 2 garments.")


def test_no_file_or_two_files_is_a_400(api, headers):
    response = api.post("/upload_clothes", {"note": "no file"}, format="multipart", **headers)
    assert error(response, 400).startswith("Send exactly one .xlsx or .xls file, as multipart/form-data")
    two = {"a": SimpleUploadedFile("a.xlsx", xlsx(SEED_TABLE)), "b": SimpleUploadedFile("b.xlsx", xlsx(SEED_TABLE))}
    response = api.post("/upload_clothes", two, format="multipart", **headers)
    assert error(response, 400).startswith("Send exactly one")


def test_a_body_that_is_not_multipart_is_a_400(api, headers):
    response = api.post("/upload_clothes", data=xlsx(SEED_TABLE), content_type=XLSX_TYPE, **headers)
    assert error(response, 400).startswith("Send the .xlsx or .xls file as multipart/form-data")


# --- listed and described ---------------------------------------------------------------------

def test_both_routes_are_listed_and_described(api):
    routes = {entry["path"]: entry for entry in api.get("/routes").json()}
    assert "/upload_clothes" in routes and "/get_clothes" in routes
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    for path in ("/upload_clothes", "/get_clothes"):
        assert schema["paths"][path]["post"]["tags"] == ["studio: clothes"]
    assert "multipart/form-data" in schema["paths"]["/upload_clothes"]["post"]["requestBody"]["content"]
    assert not schema["paths"]["/get_clothes"]["post"].get("security")  # no token needed
    assert schema["paths"]["/upload_clothes"]["post"]["security"]


def test_an_upload_spooled_to_disk_reads_the_same(api, headers, settings):
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 1024  # Django writes larger uploads to a temporary file
    assert message(upload(api, headers, xlsx(SEED_TABLE))) == "Imported 3 garments from clothes.xlsx."
    response = upload(api, headers, xls_fixture(), "clothes.xls")
    assert message(response) == "Imported 4 garments from clothes.xls; your previous 3 were replaced."
