"""Seed 003 "Generate" and "Gallery" shapes, for the API schema. The request's avatar description is read (and
refused with a message naming what is wrong) by the avatar package itself: generation.avatar.spec."""

from rest_framework import serializers

DETAILS_HELP = ("The avatar: gender, body_dimensions [{key, value}], body_dimension_lengths [{key, value: {x, y, z}}], "
                "face_shape, skin_tone, expression, hairstyle, hair_color (RGBA hex), pose, camera_view, view_mode, "
                "background_color_hex. The README lists every key, value range and name.")
APPAREL_HELP = "brand, item_id (LongSleeve, ShortSleeve, Hoodie, ... see the README), color, size, size2."


class GenerateImageSerializer(serializers.Serializer):
    user_details = serializers.DictField(help_text=DETAILS_HELP)
    apparel_details = serializers.DictField(required=False, help_text=APPAREL_HELP)
    image_options = serializers.DictField(required=False,
                                          help_text="quality (JPEG, 1-100) and thumbnail_width (pixels).")


class GenerateVideoSerializer(serializers.Serializer):
    user_details = serializers.DictField(help_text=DETAILS_HELP)
    apparel_details = serializers.DictField(required=False, help_text=APPAREL_HELP)
    video_options = serializers.DictField(
        required=False, help_text="duration (seconds), prompt (its words choose the motion), negative_prompt, "
                                  "seed, pixverse (recorded: this server makes the video itself).")


class TaskSerializer(serializers.Serializer):
    task_id = serializers.CharField()


class TaskStatusSerializer(serializers.Serializer):
    status = serializers.IntegerField(help_text="0 in the queue, 1 processing, 2 completed, 3 failed.")
    position = serializers.IntegerField(help_text="Tasks ahead of this one; 0 while processing; -1 not queued.")


class GalleryEntrySerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=["image", "video"])
    url = serializers.CharField(help_text="<task_id>-1 for a picture, <task_id> for a video.")


class GallerySerializer(serializers.Serializer):
    gallery_urls = GalleryEntrySerializer(many=True)
