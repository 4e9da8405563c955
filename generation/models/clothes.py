"""The clothes catalogue (seed 003 "Clothes"): the garments each account imported from its spreadsheet.

An account's catalogue is replaced whole by each upload (generation.catalogue). `name_key` and `brand_key`
are the name and brand case-folded in Python, so lookups ignore case the same way on every database
(SQLite's own case-insensitive matching only folds ASCII).
"""

import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

HEX_COLOUR = re.compile(r"#[0-9A-Fa-f]{6}")


def fold(text):
    """The key a name or brand is matched by: case and runs of spaces ignored."""
    return " ".join(str(text).split()).casefold()


class GarmentQuerySet(models.QuerySet):
    def newest_first(self):
        """The most recently uploaded first (an upload replaces an account's rows, so they are as new as it)."""
        return self.order_by("-created_at", "-pk")

    def named(self, name):
        return self.filter(name_key=fold(name))

    def of_brand(self, brand):
        return self.filter(brand_key=fold(brand))


class Garment(models.Model):
    """One row of an account's clothes spreadsheet."""

    class Gender(models.TextChoices):
        MALE = "Male"
        FEMALE = "Female"
        UNISEX = "Unisex"

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="garments",
                              help_text="The account that uploaded the spreadsheet.")
    url = models.URLField("URL", max_length=2000)
    brand = models.CharField(max_length=100)
    gender = models.CharField(max_length=8, choices=Gender.choices)
    name = models.CharField(max_length=200)
    colors = models.JSONField(default=list, blank=True, help_text="Colour names, in the spreadsheet's order.")
    colors_hex = models.JSONField(default=list, blank=True,
                                  help_text="One #RRGGBB per colour name, in the same order.")
    sizes = models.JSONField(default=list, blank=True)
    row = models.PositiveIntegerField(default=0, help_text="The row it came from, numbered as Excel shows it.")
    upload_name = models.CharField(max_length=255, blank=True, help_text="The uploaded file's name.")
    name_key = models.CharField(max_length=200, editable=False, db_index=True)
    brand_key = models.CharField(max_length=100, editable=False, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = GarmentQuerySet.as_manager()

    class Meta:
        ordering = ["owner", "row", "pk"]
        constraints = [
            # What /get_clothes looks a garment up by, per account: its URL and its name, whatever their case.
            models.UniqueConstraint(fields=["owner", "url", "name_key"], name="one_garment_per_url_and_name"),
        ]

    def __str__(self):
        return f"{self.brand} {self.name}"

    def fill_keys(self):
        self.name_key = fold(self.name)
        self.brand_key = fold(self.brand)

    def save(self, *args, **kwargs):
        self.fill_keys()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and {"name", "brand"} & set(update_fields):
            kwargs["update_fields"] = {*update_fields, "name_key", "brand_key"}
        super().save(*args, **kwargs)

    def clean(self):
        super().clean()
        errors = {}
        if not isinstance(self.colors, list) or not all(isinstance(c, str) and c.strip() for c in self.colors):
            errors["colors"] = "A list of colour names."
        if not isinstance(self.colors_hex, list) or not all(
                isinstance(h, str) and HEX_COLOUR.fullmatch(h) for h in self.colors_hex):
            errors["colors_hex"] = "A list of #RRGGBB colours."
        elif isinstance(self.colors, list) and len(self.colors) != len(self.colors_hex):
            errors["colors_hex"] = f"{len(self.colors)} colour names need {len(self.colors)} hex colours."
        if not isinstance(self.sizes, list) or not all(isinstance(s, str) and s.strip() for s in self.sizes):
            errors["sizes"] = "A list of sizes."
        if errors:
            raise ValidationError(errors)
        self.colors_hex = [h.upper() for h in self.colors_hex]

    def color_hex(self, color_name):
        """The #RRGGBB of the colour called `color_name` (case ignored), or None."""
        key = fold(color_name)
        for name, hex_colour in zip(self.colors, self.colors_hex, strict=False):
            if fold(name) == key:
                return hex_colour
        return None
