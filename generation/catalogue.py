"""The clothes catalogue (seed 003 "Clothes"): an account's garments, uploaded as one Excel spreadsheet.

Reading. The first sheet of an .xlsx (openpyxl, read-only) or .xls (xlrd 2) file, told apart by their content
whatever the file is called. Its first row that is not empty is the header; the columns are found by name, in
any order, ignoring case, spaces, `_` and `-` ("Colors Hex", "colors_hex", "COLORSHEX"); other columns are
ignored. Every column of `COLUMNS` is required. Each later row that is not empty is a garment; every cell is
trimmed and runs of spaces inside a name are made one.

Checking. Every problem of every row is collected (`Problem`: the row as Excel numbers it, the column, what is
wrong) and the upload is refused whole when there is any: nothing is half imported. Colours, hex colours and
sizes are comma-separated lists; hex colours are `#RRGGBB` (stored in upper case, `#008000 ` → `#008000`), as
many as colour names. Genders are those of `GENDERS`. A row with the URL and name (case ignored) of an earlier
row is a duplicate.

Importing. An upload replaces all of its account's garments in one transaction; other accounts' stay.

Reading the catalogue is public. /get_clothes finds a garment by URL and name (case ignored); when several
accounts have one, the most recently uploaded answers. The avatar renderer asks `catalogue_color` and
`catalogue_sizes` for a brand's colours and sizes, newest uploads first.
"""

import io
import logging
import warnings
import zipfile
from contextlib import closing
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time
from pathlib import PurePosixPath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction

from core.errors import Forbidden, Invalid, NotFound, Unauthenticated
from roles.models import Role

from .models.clothes import HEX_COLOUR, Garment, fold

log = logging.getLogger(__name__)

# (field, the header the seed writes); each is required.
COLUMNS = [
    ("url", "URL"),
    ("brand", "Brand"),
    ("gender", "Gender"),
    ("name", "Name"),
    ("colors", "Colors"),
    ("colors_hex", "Colors Hex"),
    ("sizes", "Sizes"),
]
LABELS = dict(COLUMNS)
# Header spellings (case, spaces, "_" and "-" removed) → field.
HEADERS = {
    **{label.replace(" ", "").lower(): name for name, label in COLUMNS},
    "link": "url",
    "colours": "colors",
    "colourshex": "colors_hex",
    "hex": "colors_hex",
    "size": "sizes",
}
# What the Gender column accepts (case ignored) → what is stored and answered.
GENDERS = {
    "male": Garment.Gender.MALE, "m": Garment.Gender.MALE, "man": Garment.Gender.MALE,
    "men": Garment.Gender.MALE,
    "female": Garment.Gender.FEMALE, "f": Garment.Gender.FEMALE, "woman": Garment.Gender.FEMALE,
    "women": Garment.Gender.FEMALE,
    "unisex": Garment.Gender.UNISEX, "u": Garment.Gender.UNISEX,
}
MAX_URL = Garment._meta.get_field("url").max_length
MAX_BRAND = Garment._meta.get_field("brand").max_length
MAX_NAME = Garment._meta.get_field("name").max_length
MAX_ITEM = 50  # one colour name or size
MAX_ITEMS = 64  # colours, or sizes, of one garment
MAX_COLUMNS = 100  # the header is looked for in these first columns
MAX_LISTED = 100  # problems listed in one answer
# An .xlsx is a zip of XML: refuse one that would expand past this many times the upload limit.
MAX_EXPANSION = 20
# Multipart framing around the file: a request this much larger than the limit cannot hold an acceptable file.
MULTIPART_ALLOWANCE = 64 * 1024

XLSX_MAGIC = b"PK\x03\x04"
XLS_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # an OLE2 compound document
NOT_A_SPREADSHEET = ("{name} is not an Excel spreadsheet. Upload the catalogue as .xlsx or .xls, with the columns "
                     + ", ".join(label for _, label in COLUMNS) + ".")

url_validator = URLValidator(schemes=["http", "https"])


# --- errors -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Problem:
    """What is wrong in one cell (or, for a missing column, in the header row)."""

    row: int
    column: str
    problem: str


class CatalogueInvalid(Invalid):
    """The spreadsheet was read but has problems; `errors` lists them as `{"row", "column", "problem"}`."""

    def __init__(self, message, problems):
        super().__init__(message)
        self.problems = list(problems)
        self.errors = [asdict(problem) for problem in self.problems[:MAX_LISTED]]


# --- who may upload ---------------------------------------------------------------------------

def check_may_upload(user):
    """Refuses an account that may not replace its catalogue (settings.STUDIO_CLOTHES_UPLOAD_ROLE)."""
    if not getattr(user, "is_authenticated", False):
        raise Unauthenticated("Sign in first: uploading clothes needs an account.")
    role_name = settings.STUDIO_CLOTHES_UPLOAD_ROLE
    if not role_name or user.is_superuser:
        return
    required = Role.objects.filter(name=role_name).first()
    if required is None:
        log.warning("STUDIO_CLOTHES_UPLOAD_ROLE names %r, which is not a role: nobody may upload clothes.", role_name)
        raise Forbidden(f"Uploading clothes is limited to the role {role_name}, which does not exist here. "
                        "Ask an administrator.")
    if user.role_id is None or not user.role.includes(required):
        held = f"your account's role is {user.role.name}" if user.role_id else "your account has no role"
        raise Forbidden(f"Uploading clothes needs the role {role_name} or one above it; {held}. "
                        "Ask an administrator.")


# --- reading ----------------------------------------------------------------------------------

def display_name(filename):
    """The uploaded file's own name, without any folder a client sent with it."""
    name = PurePosixPath(str(filename or "").replace("\\", "/")).name.strip()
    return name[:255] or "the file"


def human_size(size):
    for unit, scale in (("MB", 1024 * 1024), ("KB", 1024)):
        if size >= scale:
            return f"{size / scale:g} {unit}"
    return f"{size} bytes"


def too_large(name="The file"):
    return Invalid(f"{name} is larger than {human_size(settings.STUDIO_CLOTHES_MAX_BYTES)}. "
                   "Split the catalogue, or remove pictures and formatting from it.")


def check_request_size(content_length):
    """Refuses an upload request that cannot hold an acceptable spreadsheet, before its body is received."""
    if content_length > settings.STUDIO_CLOTHES_MAX_BYTES + MULTIPART_ALLOWANCE:
        raise too_large()


def cell_text(value):
    """A cell as text: numbers without a needless `.0` (xlrd gives every number as a float), trimmed."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    return str(value).strip()


def sheet_rows(file, name="the file"):
    """The first sheet's rows that are not empty, as `(row number as Excel shows it, [cell text, ...])`."""
    size = getattr(file, "size", None)
    if size is None:
        file.seek(0, io.SEEK_END)
        size = file.tell()
    if size == 0:
        raise Invalid(f"{name} is empty. Upload the catalogue as .xlsx or .xls.")
    if size > settings.STUDIO_CLOTHES_MAX_BYTES:
        raise too_large(name)
    file.seek(0)
    magic = file.read(8)
    file.seek(0)
    if magic.startswith(XLSX_MAGIC):
        reader = _xlsx_rows(file, name)
    elif magic == XLS_MAGIC:
        reader = _xls_rows(file, name)
    else:
        raise Invalid(NOT_A_SPREADSHEET.format(name=name))
    kept = []
    limit = settings.STUDIO_CLOTHES_MAX_ROWS
    blank = None
    with closing(reader) as rows:
        for number, values in rows:
            # Blank rows, the fast way: a sheet may skip from row 2 to row 1048576 (openpyxl yields one tuple for
            # every row skipped).
            if values is blank:
                continue
            if values.count(None) == len(values):
                blank = values
                continue
            texts = [cell_text(value) for value in values]
            if not any(texts):
                continue
            kept.append((number, texts))
            if len(kept) > limit + 1:  # the header, and one garment too many
                raise Invalid(f"{name} has more than {limit} garments. Split the catalogue into smaller files "
                              "(each upload replaces the previous one), or ask an administrator to raise the limit.")
    return kept


def _xlsx_rows(file, name):
    """Yields `(row number, tuple of values)` of the first sheet of an .xlsx workbook."""
    import openpyxl

    try:
        with zipfile.ZipFile(file) as archive:
            expanded = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        raise Invalid(NOT_A_SPREADSHEET.format(name=name)) from None
    # zipfile never inflates a member past the size its directory declares, so this bounds what is read.
    if expanded > MAX_EXPANSION * settings.STUDIO_CLOTHES_MAX_BYTES:
        raise Invalid(f"{name} expands to more than {human_size(MAX_EXPANSION * settings.STUDIO_CLOTHES_MAX_BYTES)} "
                      "of data. Upload a smaller catalogue.")
    file.seek(0)
    unreadable = Invalid(f"{name} could not be read as an .xlsx workbook. Open it in Excel (or LibreOffice) and "
                         "save it again as .xlsx.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "no default style" and the like, about files from other programs
            book = openpyxl.load_workbook(file, read_only=True, data_only=True, keep_links=False)
    except Exception:  # a damaged or foreign zip fails in many ways (KeyError, XML errors, ...)
        raise unreadable from None
    try:
        if not book.worksheets:
            raise Invalid(f"{name} has no sheet of cells. Put the catalogue in its first sheet.")
        sheet = book.worksheets[0]
        # The size a file declares may be wrong (some programs write none, or a stale one): read every row.
        sheet.reset_dimensions()
        rows = enumerate(sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True), start=1)
        while True:
            try:
                number, values = next(rows)
            except StopIteration:
                return
            except Exception:
                raise unreadable from None
            yield number, values
    finally:
        book.close()


def _xls_rows(file, name):
    """Yields `(row number, list of values)` of the first sheet of an .xls workbook (BIFF, Excel 97-2003)."""
    import xlrd

    unreadable = Invalid(f"{name} could not be read as an .xls workbook. Open it in Excel (or LibreOffice) and save "
                         "it again as .xlsx.")
    try:
        book = xlrd.open_workbook(file_contents=file.read(), logfile=io.StringIO(), on_demand=True)
    except xlrd.XLRDError as exc:
        raise Invalid(f"{name} could not be read as an .xls workbook ({exc}). If it is password-protected, save it "
                      "without a password; otherwise save it again as .xlsx.") from None
    except Exception:  # damaged files fail in many ways (struct, index, assertion errors)
        raise unreadable from None
    try:
        if book.nsheets == 0:
            raise Invalid(f"{name} has no sheet of cells. Put the catalogue in its first sheet.")
        try:
            sheet = book.sheet_by_index(0)
        except Exception:
            raise unreadable from None
        width = min(sheet.ncols, MAX_COLUMNS)
        for index in range(sheet.nrows):
            yield index + 1, sheet.row_values(index, 0, width)
    finally:
        book.release_resources()


# --- checking ---------------------------------------------------------------------------------

@dataclass
class GarmentRow:
    """One checked row, ready to import."""

    row: int
    url: str
    brand: str
    gender: str
    name: str
    colors: list = field(default_factory=list)
    colors_hex: list = field(default_factory=list)
    sizes: list = field(default_factory=list)


def header_key(text):
    return "".join(text.split()).replace("_", "").replace("-", "").lower()


def read_catalogue(file, name="the file"):
    """The checked garments of an uploaded spreadsheet; `CatalogueInvalid` lists every problem when there are any."""
    rows = sheet_rows(file, name)
    if not rows:
        raise Invalid(f"{name} has no rows. The first row names the columns ("
                      + ", ".join(label for _, label in COLUMNS) + "); each row below it is a garment.")
    (header_row, header), data = rows[0], rows[1:]
    columns, problems = {}, []
    for index, text in enumerate(header):
        found = HEADERS.get(header_key(text))
        if found is None:
            continue
        if found in columns:
            problems.append(Problem(header_row, LABELS[found],
                                    f"two columns are {LABELS[found]} ({header[columns[found]]!r} and {text!r}): "
                                    "keep one"))
        else:
            columns[found] = index
    missing = [label for key, label in COLUMNS if key not in columns]
    problems += [Problem(header_row, label, "the header row has no such column") for label in missing]
    if problems:
        what = f"lacks the column{'s' if len(missing) > 1 else ''} {', '.join(missing)}" if missing else \
            "names a column twice"
        raise CatalogueInvalid(
            f"{name}: the header row (row {header_row}) {what}. The first row names the columns, in any order: "
            + ", ".join(label for _, label in COLUMNS) + ". Nothing was imported.", problems)
    if not data:
        raise Invalid(f"{name} has a header row but no garments below it. Nothing was imported.")

    garments, seen = [], {}
    for number, texts in data:
        cells = {key: texts[index] if index < len(texts) else "" for key, index in columns.items()}
        garment, row_problems = check_row(number, cells)
        if garment is not None:
            key = (garment.url, fold(garment.name))
            if key in seen:
                row_problems.append(Problem(number, "Name", f"row {seen[key]} already has this URL and name"))
            else:
                seen[key] = number
        problems += row_problems
        if not row_problems:
            garments.append(garment)
    if problems:
        bad_rows = len({p.row for p in problems})
        listed = "" if len(problems) <= MAX_LISTED else f" (the first {MAX_LISTED} are listed)"
        raise CatalogueInvalid(
            f"{name} has {plural(len(problems), 'problem')} in {plural(bad_rows, 'row')}{listed}; nothing was "
            "imported. Correct them and upload the file again.", problems)
    return garments


def plural(count, word):
    return f"{count} {word}{'' if count == 1 else 's'}"


def single_spaced(text):
    return " ".join(text.split())


def check_row(number, cells):
    """`(GarmentRow, [])` for a good row; `(GarmentRow or None, [Problem, ...])` otherwise (the row exists for the
    duplicate check when its URL and name are good)."""
    problems = []

    def problem(key, text):
        problems.append(Problem(number, LABELS[key], text))

    def required(key, limit):
        text = single_spaced(cells[key]) if key != "url" else cells[key].strip()
        if not text:
            problem(key, "empty")
        elif len(text) > limit:
            problem(key, f"longer than {limit} characters")
        return text

    url = required("url", MAX_URL)
    url_good = bool(url) and len(url) <= MAX_URL
    if url_good:
        try:
            url_validator(url)
        except ValidationError:
            problem("url", f"{url[:80]!r} is not a web address (http:// or https://)")
            url_good = False
    brand = required("brand", MAX_BRAND)
    name = required("name", MAX_NAME)
    name_good = bool(name) and len(name) <= MAX_NAME

    gender_text = single_spaced(cells["gender"])
    gender = GENDERS.get(gender_text.casefold())
    if not gender_text:
        problem("gender", "empty: write Male, Female or Unisex")
    elif gender is None:
        problem("gender", f"{gender_text[:40]!r} is not a gender here: write Male, Female or Unisex")

    colors = split_list("colors", cells["colors"], problem, "colour")
    hex_texts = split_list("colors_hex", cells["colors_hex"], problem, "hex colour", spaced=False)
    colors_hex = []
    for position, text in enumerate(hex_texts, start=1):
        if HEX_COLOUR.fullmatch(text):
            colors_hex.append(text.upper())
        else:
            problem("colors_hex", f"{text[:40]!r} (hex colour {position}) is not #RRGGBB: a # and six hexadecimal "
                                  "digits, e.g. #008000")
    if colors and hex_texts and len(colors) != len(hex_texts):
        problem("colors_hex", f"{plural(len(hex_texts), 'hex colour')} for {plural(len(colors), 'colour')}: "
                              "give one hex colour per colour, in the same order")
    sizes = split_list("sizes", cells["sizes"], problem, "size")

    garment = None
    if url_good and name_good:
        garment = GarmentRow(row=number, url=url, brand=brand, gender=gender or "", name=name, colors=colors,
                             colors_hex=colors_hex, sizes=sizes)
    return garment, problems


def split_list(key, text, problem, what, spaced=True):
    """A comma-separated cell as a list; empty entries, duplicates and overlong ones are problems."""
    text = text.strip()
    if not text:
        problem(key, f"empty: write the {what}s separated by commas" + (", e.g. One Size" if key == "sizes" else ""))
        return []
    items = [single_spaced(part) if spaced else part.strip() for part in text.split(",")]
    if len(items) > MAX_ITEMS:
        problem(key, f"more than {MAX_ITEMS} {what}s")
        return []
    seen = {}
    for position, item in enumerate(items, start=1):
        if not item:
            problem(key, f"{what} {position} is empty (two commas in a row, or a comma at the end)")
        elif len(item) > MAX_ITEM:
            problem(key, f"{what} {position} is longer than {MAX_ITEM} characters")
        elif fold(item) in seen:
            problem(key, f"{item!r} is listed twice ({what}s {seen[fold(item)]} and {position})")
        else:
            seen[fold(item)] = position
    return items


# --- importing --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Imported:
    imported: int
    replaced: int
    upload_name: str

    @property
    def message(self):
        text = f"Imported {plural(self.imported, 'garment')} from {self.upload_name}"
        if self.replaced:
            verb = "was" if self.replaced == 1 else "were"
            return f"{text}; your previous {self.replaced} {verb} replaced."
        return f"{text}."


@transaction.atomic
def replace_catalogue(owner, garments, upload_name=""):
    """Replaces all of `owner`'s garments with `garments` (checked rows), in one transaction."""
    # One upload at a time per account: the second waits for the first to commit, then replaces its rows.
    type(owner).objects.select_for_update().filter(pk=owner.pk).first()
    _, deleted = Garment.objects.filter(owner=owner).delete()
    rows = []
    for garment in garments:
        row = Garment(owner=owner, upload_name=upload_name, **asdict(garment))
        row.fill_keys()
        rows.append(row)
    Garment.objects.bulk_create(rows, batch_size=500)
    return Imported(imported=len(rows), replaced=deleted.get(Garment._meta.label, 0), upload_name=upload_name)


def upload(user, uploaded_file):
    """Reads, checks and imports an uploaded spreadsheet as `user`'s whole catalogue."""
    check_may_upload(user)
    name = display_name(getattr(uploaded_file, "name", ""))
    garments = read_catalogue(uploaded_file, name)
    return replace_catalogue(user, garments, name)


# --- reading the catalogue --------------------------------------------------------------------

def garment_for(url, name):
    """The garment at `url` called `name` (case ignored); the most recently uploaded when several accounts have one."""
    return Garment.objects.filter(url=url.strip()).named(name).newest_first().first()


def find_garment(url, name):
    garment = garment_for(url, name)
    if garment is None:
        raise NotFound(f"No garment called {single_spaced(name)[:MAX_NAME]!r} at {url.strip()[:MAX_URL]} is in the "
                       "catalogue. Upload it with /upload_clothes.")
    return garment


def garments_of_brand(brand):
    """The brand's garments (case ignored), every account's, the most recently uploaded first."""
    return Garment.objects.of_brand(brand).newest_first()


def _garments(brand, name=None):
    garments = garments_of_brand(brand)
    return garments.named(name) if name else garments


def catalogue_color(brand, color_name, name=None):
    """`#RRGGBB` of the colour called `color_name` in `brand`'s catalogue (of garment `name` when given), or None.

    Case is ignored; the most recently uploaded garment that has the colour answers."""
    for garment in _garments(brand, name).only("colors", "colors_hex").iterator():
        colour = garment.color_hex(color_name)
        if colour:
            return colour
    return None


def catalogue_sizes(brand, name=None):
    """The sizes `brand`'s garments (garment `name` when given) come in, each once, in their catalogue order."""
    sizes, seen = [], set()
    for garment_sizes in _garments(brand, name).values_list("sizes", flat=True).iterator():
        for size in garment_sizes:
            if fold(size) not in seen:
                seen.add(fold(size))
                sizes.append(size)
    return sizes
