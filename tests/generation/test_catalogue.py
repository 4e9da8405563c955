"""generation.catalogue: reading .xlsx and .xls clothes spreadsheets, checking every row, importing all or nothing."""

import io
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError
from django.urls import reverse

from core.errors import Forbidden, Invalid
from generation import catalogue
from generation.models import Garment
from roles.models import Role
from tests.factories import UserFactory
from tests.generation.sheets import HEADER, SEED_TABLE, garment_row, xls_fixture, xlsx

pytestmark = pytest.mark.django_db


def upload_file(content, name="clothes.xlsx"):
    return SimpleUploadedFile(name, content, "application/octet-stream")


def read(content, name="clothes.xlsx"):
    return catalogue.read_catalogue(io.BytesIO(content), name)


def problems_of(content, name="clothes.xlsx"):
    with pytest.raises(catalogue.CatalogueInvalid) as caught:
        read(content, name)
    return caught.value


def refused(content, name="clothes.xlsx"):
    with pytest.raises(Invalid) as caught:
        read(content, name)
    assert not isinstance(caught.value, catalogue.CatalogueInvalid)
    return caught.value.message


def as_dicts(garments):
    return [(g.row, g.url, g.brand, g.gender, g.name, g.colors, g.colors_hex, g.sizes) for g in garments]


# --- reading both formats ---------------------------------------------------------------------

SEED_GARMENTS = [
    (2, "https://example.com/1", "BrandA", "Male", "Cloth1", ["Red", "Blue", "Green"],
     ["#FF0000", "#0000FF", "#008000"], ["S", "M", "L"]),
    (3, "https://example.com/2", "BrandB", "Female", "Cloth2", ["Black", "White"], ["#000000", "#FFFFFF"],
     ["XS", "S", "M", "L", "XL"]),
    (4, "https://example.com/3", "BrandC", "Female", "Cloth3", ["Yellow", "Purple"], ["#FFFF00", "#800080"],
     ["M", "L", "XL", "XXL"]),
]


def test_the_seed_table_reads_from_xlsx():
    assert as_dicts(read(xlsx(SEED_TABLE))) == SEED_GARMENTS


def test_the_xls_fixture_reads_trimmed_with_numbers_as_text_and_genders_named_the_one_way():
    garments = read(xls_fixture(), "clothes.xls")
    assert as_dicts(garments[:3]) == SEED_GARMENTS  # "#008000 " is trimmed
    assert as_dicts(garments[3:]) == [
        (5, "https://example.com/4", "BrandD", "Unisex", "Scarf", ["Grey"], ["#808080"], ["42"]),
    ]


def test_the_format_is_told_by_content_not_by_the_name():
    assert len(read(xls_fixture(), "clothes.xlsx")) == 4
    assert len(read(xlsx(SEED_TABLE), "clothes.xls")) == 3


def test_columns_in_any_order_any_case_and_spacing_extra_columns_ignored_cells_trimmed():
    rows = [
        ["  sizes", "COLORS_HEX", "Notes", "name ", "colours", "Gender", "Brand", "url"],
        ["S, M ,L", "#ff0000 , #00ff00", "ignored", "  Long   Sleeve ", " Red , Green", " f ", " BrandA ",
         " https://example.com/a "],
    ]
    assert as_dicts(read(xlsx(rows))) == [
        (2, "https://example.com/a", "BrandA", "Female", "Long Sleeve", ["Red", "Green"], ["#FF0000", "#00FF00"],
         ["S", "M", "L"]),
    ]


def test_row_numbers_are_excels_even_after_blank_rows_and_a_header_further_down():
    content = xlsx([], cells={
        **{f"{col}3": value for col, value in zip("ABCDEFG", HEADER, strict=True)},
        **{f"{col}7": value for col, value in zip("ABCDEFG", garment_row(1), strict=True)},
        **{f"{col}12": value for col, value in zip("ABCDEFG", garment_row(2, Name=""), strict=True)},
    })
    error = problems_of(content)
    assert error.errors == [{"row": 12, "column": "Name", "problem": "empty"}]


def test_numbers_in_cells_are_text_without_a_decimal_point():
    rows = [HEADER, garment_row(1, Sizes=38), garment_row(2, Sizes="38,40", Name=2024)]
    garments = read(xlsx(rows))
    assert [g.sizes for g in garments] == [["38"], ["38", "40"]]
    assert garments[1].name == "2024"


@pytest.mark.parametrize("gender, stored", [
    ("Male", "Male"), ("male", "Male"), ("M", "Male"), ("Men", "Male"), ("man", "Male"),
    ("Female", "Female"), ("F", "Female"), ("women", "Female"), ("Woman", "Female"),
    ("Unisex", "Unisex"), ("u", "Unisex"),
])
def test_accepted_genders(gender, stored):
    assert read(xlsx([HEADER, garment_row(1, Gender=gender)]))[0].gender == stored


# --- the header -------------------------------------------------------------------------------

def test_a_missing_column_is_named():
    rows = [[c for c in HEADER if c != "Colors Hex"], ["https://example.com/1", "B", "Male", "N", "Red", "S"]]
    error = problems_of(xlsx(rows))
    assert "lacks the column Colors Hex" in error.message
    assert error.errors == [{"row": 1, "column": "Colors Hex", "problem": "the header row has no such column"}]


def test_several_missing_columns_are_all_named():
    error = problems_of(xlsx([["URL", "Name", "Price"], ["https://example.com/1", "N", 3]]))
    assert "lacks the columns Brand, Gender, Colors, Colors Hex, Sizes" in error.message
    assert [e["column"] for e in error.errors] == ["Brand", "Gender", "Colors", "Colors Hex", "Sizes"]


def test_a_column_named_twice_is_refused():
    error = problems_of(xlsx([[*HEADER, "colours"], [*garment_row(1), "Blue"]]))
    assert error.errors == [{"row": 1, "column": "Colors",
                             "problem": "two columns are Colors ('Colors' and 'colours'): keep one"}]


def test_a_header_without_garments_is_refused():
    assert "no garments" in refused(xlsx([HEADER]))


# --- every row's problems ---------------------------------------------------------------------

ROW_PROBLEMS = [
    pytest.param({"Name": "  "}, "Name", "empty", id="empty-name"),
    pytest.param({"Brand": ""}, "Brand", "empty", id="empty-brand"),
    pytest.param({"URL": None}, "URL", "empty", id="empty-url"),
    pytest.param({"URL": "example.com/1"}, "URL", "'example.com/1' is not a web address (http:// or https://)",
                 id="url-without-scheme"),
    pytest.param({"URL": "ftp://example.com/1"}, "URL",
                 "'ftp://example.com/1' is not a web address (http:// or https://)", id="url-not-http"),
    pytest.param({"Gender": "Boy"}, "Gender", "'Boy' is not a gender here: write Male, Female or Unisex",
                 id="unknown-gender"),
    pytest.param({"Gender": ""}, "Gender", "empty: write Male, Female or Unisex", id="empty-gender"),
    pytest.param({"Colors": "Red,Blue,Green"}, "Colors Hex",
                 "2 hex colours for 3 colours: give one hex colour per colour, in the same order", id="counts-differ"),
    pytest.param({"Colors Hex": "#000000,#FFF"}, "Colors Hex",
                 "'#FFF' (hex colour 2) is not #RRGGBB: a # and six hexadecimal digits, e.g. #008000", id="short-hex"),
    pytest.param({"Colors Hex": "000000,#FFFFFF"}, "Colors Hex",
                 "'000000' (hex colour 1) is not #RRGGBB: a # and six hexadecimal digits, e.g. #008000",
                 id="hex-without-hash"),
    pytest.param({"Colors Hex": "#00000G,#FFFFFF"}, "Colors Hex",
                 "'#00000G' (hex colour 1) is not #RRGGBB: a # and six hexadecimal digits, e.g. #008000",
                 id="hex-not-hexadecimal"),
    pytest.param({"Colors": "Black,,White", "Colors Hex": "#000000,#111111,#FFFFFF"}, "Colors",
                 "colour 2 is empty (two commas in a row, or a comma at the end)", id="empty-colour"),
    pytest.param({"Colors": "Black,black"}, "Colors", "'black' is listed twice (colours 1 and 2)",
                 id="colour-twice"),
    pytest.param({"Colors": ""}, "Colors", "empty: write the colours separated by commas", id="no-colours"),
    pytest.param({"Sizes": ""}, "Sizes", "empty: write the sizes separated by commas, e.g. One Size", id="no-sizes"),
    pytest.param({"Sizes": "S,M,"}, "Sizes", "size 3 is empty (two commas in a row, or a comma at the end)",
                 id="trailing-comma"),
    pytest.param({"Name": "N" * 201}, "Name", "longer than 200 characters", id="name-too-long"),
]


@pytest.mark.parametrize("changes, column, problem", ROW_PROBLEMS)
def test_each_row_problem_is_reported_with_its_row_and_column(changes, column, problem):
    error = problems_of(xlsx([HEADER, garment_row(1), garment_row(2, **changes), garment_row(3)]))
    assert error.errors == [{"row": 3, "column": column, "problem": problem}]
    assert error.message == ("clothes.xlsx has 1 problem in 1 row; nothing was imported. "
                             "Correct them and upload the file again.")


def test_a_duplicate_row_names_the_first_one_case_ignored():
    error = problems_of(xlsx([HEADER, garment_row(1), garment_row(2), garment_row(1, Name="CLOTH1", Brand="B")]))
    assert error.errors == [{"row": 4, "column": "Name", "problem": "row 2 already has this URL and name"}]


def test_the_same_name_at_another_url_is_not_a_duplicate():
    garments = read(xlsx([HEADER, garment_row(1), garment_row(1, URL="https://example.com/other")]))
    assert len(garments) == 2


def test_every_problem_of_the_whole_file_is_listed():
    rows = [HEADER, garment_row(1, Name="", Gender="x"), garment_row(2), garment_row(3, **{"Colors Hex": "#12"})]
    error = problems_of(xlsx(rows))
    assert [(e["row"], e["column"]) for e in error.errors] == [(2, "Name"), (2, "Gender"), (4, "Colors Hex"),
                                                               (4, "Colors Hex")]
    assert error.message.startswith("clothes.xlsx has 4 problems in 2 rows; nothing was imported.")


def test_at_most_a_hundred_problems_are_listed(settings):
    rows = [HEADER, *(garment_row(n, Gender="?", Sizes="") for n in range(1, 61))]
    error = problems_of(xlsx(rows))
    assert len(error.problems) == 120 and len(error.errors) == 100
    assert "has 120 problems in 60 rows (the first 100 are listed)" in error.message


# --- files that are not catalogues ------------------------------------------------------------

def zip_of(**members):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in members.items():
            archive.writestr(name, text)
    return buffer.getvalue()


@pytest.mark.parametrize("content", [
    pytest.param(b"URL,Brand,Gender,Name,Colors,Colors Hex,Sizes\n", id="csv"),
    pytest.param(b"\x89PNG\r\n\x1a\n" + b"\0" * 64, id="png"),
    pytest.param(b"%PDF-1.7\n", id="pdf"),
])
def test_a_file_that_is_not_a_spreadsheet_is_refused(content):
    message = refused(content, "clothes.csv")
    assert message.startswith("clothes.csv is not an Excel spreadsheet. Upload the catalogue as .xlsx or .xls")


def test_a_zip_that_is_not_a_workbook_is_refused():
    assert "could not be read as an .xlsx workbook" in refused(zip_of(**{"readme.txt": "hello"}))


def test_a_damaged_xlsx_is_refused():
    assert "is not an Excel spreadsheet" in refused(xlsx(SEED_TABLE)[:400])


def test_a_damaged_xls_is_refused():
    message = refused(xls_fixture()[:1500], "clothes.xls")
    assert "could not be read as an .xls workbook" in message


def test_an_empty_file_is_refused():
    assert refused(b"") == "clothes.xlsx is empty. Upload the catalogue as .xlsx or .xls."


def test_a_sheet_with_nothing_in_it_is_refused():
    assert "has no rows" in refused(xlsx([]))


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(settings):
    settings.STUDIO_CLOTHES_MAX_BYTES = 1024
    message = refused(xlsx(SEED_TABLE))
    assert message.startswith("clothes.xlsx is larger than 1 KB.")


def test_an_xlsx_that_would_expand_too_far_is_refused(settings):
    settings.STUDIO_CLOTHES_MAX_BYTES = 20 * 1024
    content = zip_of(**{"xl/big.xml": " " * (500 * 1024)})
    assert len(content) < 20 * 1024
    assert "expands to more than" in refused(content)


def test_more_rows_than_the_limit_are_refused(settings):
    settings.STUDIO_CLOTHES_MAX_ROWS = 3
    assert len(read(xlsx([HEADER, *(garment_row(n) for n in range(3))]))) == 3
    message = refused(xlsx([HEADER, *(garment_row(n) for n in range(4))]))
    assert message.startswith("clothes.xlsx has more than 3 garments.")


def test_a_sheet_that_skips_to_excels_last_row_is_read_quickly():
    content = xlsx([HEADER, garment_row(1)], cells={"A1048576": "https://example.com/last"})
    error = problems_of(content)
    assert {e["row"] for e in error.errors} == {1048576}


# --- importing --------------------------------------------------------------------------------

def test_an_upload_imports_every_row_with_its_keys():
    owner = UserFactory()
    result = catalogue.upload(owner, upload_file(xlsx(SEED_TABLE)))
    assert result.message == "Imported 3 garments from clothes.xlsx."
    garment = Garment.objects.get(owner=owner, name="Cloth1")
    assert (garment.row, garment.upload_name, garment.name_key, garment.brand_key) == (2, "clothes.xlsx", "cloth1",
                                                                                        "branda")
    assert garment.colors_hex == ["#FF0000", "#0000FF", "#008000"]


def test_a_reupload_replaces_only_that_accounts_rows():
    mine, theirs = UserFactory(), UserFactory()
    catalogue.upload(mine, upload_file(xlsx(SEED_TABLE)))
    catalogue.upload(theirs, upload_file(xlsx([HEADER, garment_row(7), garment_row(8)])))

    result = catalogue.upload(mine, upload_file(xlsx([HEADER, garment_row(1)]), "spring.xls"))
    assert result.message == "Imported 1 garment from spring.xls; your previous 3 were replaced."
    assert sorted(Garment.objects.filter(owner=mine).values_list("name", flat=True)) == ["Cloth1"]
    assert sorted(Garment.objects.filter(owner=theirs).values_list("name", flat=True)) == ["Cloth7", "Cloth8"]
    result = catalogue.upload(mine, upload_file(xlsx([HEADER, garment_row(2)])))
    assert result.message.endswith("your previous 1 was replaced.")


def test_a_file_with_any_problem_imports_nothing_and_keeps_the_previous_catalogue():
    owner = UserFactory()
    catalogue.upload(owner, upload_file(xlsx(SEED_TABLE)))
    before = list(Garment.objects.filter(owner=owner).values_list("pk", "name"))
    with pytest.raises(catalogue.CatalogueInvalid):
        catalogue.upload(owner, upload_file(xlsx([HEADER, garment_row(1), garment_row(2), garment_row(3, Name="")])))
    assert list(Garment.objects.filter(owner=owner).values_list("pk", "name")) == before


def test_a_failure_while_importing_rolls_the_whole_replacement_back(monkeypatch):
    owner = UserFactory()
    catalogue.upload(owner, upload_file(xlsx(SEED_TABLE)))

    def fail(*args, **kwargs):
        raise IntegrityError("the database refused")

    monkeypatch.setattr(Garment.objects, "bulk_create", fail)
    with pytest.raises(IntegrityError):
        catalogue.upload(owner, upload_file(xlsx([HEADER, garment_row(9)])))
    assert Garment.objects.filter(owner=owner).count() == 3  # the delete was rolled back too


def test_one_account_cannot_hold_two_garments_with_the_same_url_and_name():
    owner = UserFactory()
    Garment.objects.create(owner=owner, url="https://example.com/1", brand="B", gender="Male", name="Cloth1")
    with pytest.raises(IntegrityError):
        Garment.objects.create(owner=owner, url="https://example.com/1", brand="B", gender="Male", name="CLOTH1")


# --- who may upload ---------------------------------------------------------------------------

def with_role(name):
    user = UserFactory()
    user.role = Role.objects.get(name=name)
    user.save()
    return user


def test_any_signed_in_account_may_upload_by_default(settings):
    settings.STUDIO_CLOTHES_UPLOAD_ROLE = None
    catalogue.check_may_upload(with_role("GUEST"))


def test_a_role_setting_admits_that_role_and_those_above_it(settings):
    settings.STUDIO_CLOTHES_UPLOAD_ROLE = "ADMIN"
    for name in ("ADMIN", "SUPER_ADMIN"):
        catalogue.check_may_upload(with_role(name))
    superuser = with_role("GUEST")
    superuser.is_superuser = True
    catalogue.check_may_upload(superuser)
    with pytest.raises(Forbidden) as caught:
        catalogue.upload(with_role("USER"), upload_file(xlsx(SEED_TABLE)))
    assert caught.value.message == ("Uploading clothes needs the role ADMIN or one above it; your account's role is "
                                    "USER. Ask an administrator.")
    assert not Garment.objects.exists()


def test_a_role_setting_naming_no_role_refuses_everyone(settings):
    settings.STUDIO_CLOTHES_UPLOAD_ROLE = "TAILOR"
    with pytest.raises(Forbidden, match="limited to the role TAILOR, which does not exist"):
        catalogue.check_may_upload(with_role("SUPER_ADMIN"))


# --- reading the catalogue --------------------------------------------------------------------

def test_garment_for_ignores_the_names_case_and_answers_the_most_recent_upload():
    first, second = UserFactory(), UserFactory()
    catalogue.upload(first, upload_file(xlsx(SEED_TABLE)))
    catalogue.upload(second, upload_file(xlsx([HEADER, garment_row(1, Brand="BrandZ")])))
    assert catalogue.garment_for("https://example.com/1", "cloth1").owner == second
    assert catalogue.garment_for(" https://example.com/2 ", "  CLOTH2 ").owner == first
    catalogue.upload(first, upload_file(xlsx(SEED_TABLE)))  # first uploads again: now the newer
    assert catalogue.garment_for("https://example.com/1", "Cloth1").brand == "BrandA"
    assert catalogue.garment_for("https://example.com/1", "Cloth9") is None
    assert catalogue.garment_for("https://example.com/9", "Cloth1") is None


def test_catalogue_colours_and_sizes_of_a_brand():
    catalogue.upload(UserFactory(), upload_file(xlsx([
        HEADER,
        garment_row(1, Brand="Acme", Name="LongSleeve", Colors="Black,Red", **{"Colors Hex": "#111111,#ff0000"},
                    Sizes="S,M,L"),
        garment_row(2, Brand="Acme", Name="Tee", Colors="Black,White", **{"Colors Hex": "#000000,#FFFFFF"},
                    Sizes="M,L,XL"),
        garment_row(3, Brand="Other", Colors="Green", **{"Colors Hex": "#00FF00"}, Sizes="One Size"),
    ])))
    assert catalogue.catalogue_color("acme", "red") == "#FF0000"
    assert catalogue.catalogue_color("Acme", "Black") in ("#111111", "#000000")
    assert catalogue.catalogue_color("Acme", "Black", name="tee") == "#000000"
    assert catalogue.catalogue_color("Acme", "Green") is None
    assert catalogue.catalogue_color("Nobody", "Black") is None
    assert sorted(catalogue.catalogue_sizes("ACME")) == ["L", "M", "S", "XL"]
    assert catalogue.catalogue_sizes("Acme", name="LongSleeve") == ["S", "M", "L"]
    assert catalogue.catalogue_sizes("Nobody") == []
    assert [g.name for g in catalogue.garments_of_brand("acme").order_by("row")] == ["LongSleeve", "Tee"]


def test_the_admin_form_checks_the_lists_and_keeps_the_keys():
    garment = Garment(owner=UserFactory(), url="https://example.com/1", brand="Brand A", gender="Male", name="Tee",
                      colors=["Red", "Blue"], colors_hex=["#ff0000"], sizes=["M"])
    with pytest.raises(ValidationError) as caught:
        garment.full_clean()
    assert "colors_hex" in caught.value.message_dict
    garment.colors_hex = ["#ff0000", "#0000ff"]
    garment.full_clean()
    garment.save()
    garment.refresh_from_db()
    assert (garment.colors_hex, garment.brand_key, garment.name_key) == (["#FF0000", "#0000FF"], "brand a", "tee")
    garment.name = "Long Tee"
    garment.save(update_fields=["name"])
    garment.refresh_from_db()
    assert garment.name_key == "long tee"


def test_the_admin_lists_every_accounts_garments_with_search_and_filters(client):
    catalogue.upload(UserFactory(email="ada@example.com"), upload_file(xlsx(SEED_TABLE)))
    catalogue.upload(UserFactory(email="bob@example.com"), upload_file(xlsx([HEADER, garment_row(7)])))
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    url = reverse("admin:generation_garment_changelist")
    page = client.get(url).content.decode()
    assert all(name in page for name in ("Cloth1", "Cloth2", "Cloth3", "Cloth7", "ada@example.com", "bob@example.com"))
    assert "Cloth1" not in client.get(url, {"q": "bob@example.com"}).content.decode()
    assert "Cloth3" in client.get(url, {"brand": "BrandC", "gender": "Female"}).content.decode()
    garment = Garment.objects.get(name="Cloth1")
    assert client.get(reverse("admin:generation_garment_change", args=[garment.pk])).status_code == 200
