"""Clothes spreadsheets for the tests: .xlsx built with openpyxl, and the .xls fixture (fixtures/README.md)."""

import io
from pathlib import Path

import openpyxl

FIXTURES = Path(__file__).parent / "fixtures"
HEADER = ["URL", "Brand", "Gender", "Name", "Colors", "Colors Hex", "Sizes"]
# Seed 003's "Excel Example", word for word.
SEED_TABLE = [
    HEADER,
    ["https://example.com/1", "BrandA", "Male", "Cloth1", "Red,Blue,Green", "#FF0000,#0000FF,#008000", "S,M,L"],
    ["https://example.com/2", "BrandB", "Female", "Cloth2", "Black,White", "#000000,#FFFFFF", "XS,S,M,L,XL"],
    ["https://example.com/3", "BrandC", "Female", "Cloth3", "Yellow,Purple", "#FFFF00,#800080", "M,L,XL,XXL"],
]
# Seed 003's /get_clothes answer for Cloth1, its hex colours trimmed ("#008000 " there).
SEED_CLOTH1 = {
    "gender": "Male",
    "colors": ["Red", "Blue", "Green"],
    "sizes": ["S", "M", "L"],
    "name": "Cloth1",
    "brand": "BrandA",
    "colors_hex": ["#FF0000", "#0000FF", "#008000"],
}


def xlsx(rows, cells=None):
    """An .xlsx file's bytes with `rows` from A1 down (None leaves a cell out), and `cells` ({"A9": value}) set."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Clothes"
    for row in rows:
        sheet.append(row)
    for address, value in (cells or {}).items():
        sheet[address] = value
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def garment_row(number, **changes):
    """A good data row (as a list in HEADER's order) for garment `number`, with `changes` by column name."""
    values = {"URL": f"https://example.com/{number}", "Brand": "BrandA", "Gender": "Female", "Name": f"Cloth{number}",
              "Colors": "Black,White", "Colors Hex": "#000000,#FFFFFF", "Sizes": "S,M"}
    values.update(changes)
    return [values[column] for column in HEADER]


def xls_fixture():
    return (FIXTURES / "clothes.xls").read_bytes()
