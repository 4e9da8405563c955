"""Seed 003 "Clothes": the shapes of /upload_clothes and /get_clothes."""

from rest_framework import serializers

from generation.catalogue import MAX_NAME, MAX_URL

# --- requests ---------------------------------------------------------------------------------


class ClothesUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="The catalogue as .xlsx or .xls (columns URL, Brand, Gender, Name, Colors, "
                                           "Colors Hex, Sizes); any field name is accepted.")


class GetClothesSerializer(serializers.Serializer):
    url = serializers.CharField(max_length=MAX_URL, help_text="The garment's URL, as in the spreadsheet.")
    name = serializers.CharField(max_length=MAX_NAME, help_text="The garment's name; case is ignored.")


# --- responses --------------------------------------------------------------------------------

class ClothesProblemSerializer(serializers.Serializer):
    row = serializers.IntegerField(help_text="The row, numbered as Excel shows it (the header is row 1).")
    column = serializers.CharField()
    problem = serializers.CharField()


class ClothesUploadErrorSerializer(serializers.Serializer):
    message = serializers.CharField()
    errors = ClothesProblemSerializer(many=True, required=False,
                                      help_text="Every problem found in the file (at most 100), when it was read.")


class GarmentSerializer(serializers.Serializer):
    """The seed's keys, in its order."""

    gender = serializers.CharField(help_text="Male, Female or Unisex.")
    colors = serializers.ListField(child=serializers.CharField())
    sizes = serializers.ListField(child=serializers.CharField())
    name = serializers.CharField()
    brand = serializers.CharField()
    colors_hex = serializers.ListField(child=serializers.CharField(), help_text="#RRGGBB, one per colour.")
