"""Items refer to what they were made from generically (any model), not to a capture.

The capture each existing item was made from becomes its source; the capture column then goes.
"""

import django.db.models.deletion
from django.db import migrations, models


def captures_become_sources(apps, schema_editor):
    Item = apps.get_model("gallery", "Item")
    ContentType = apps.get_model("contenttypes", "ContentType")
    items = Item.objects.using(schema_editor.connection.alias).filter(capture__isnull=False)
    if not items.exists():
        return
    capture_type, _ = ContentType.objects.using(schema_editor.connection.alias).get_or_create(
        app_label="captures", model="capture")
    items.update(source_type=capture_type, source_id=models.F("capture_id"))


def sources_become_captures(apps, schema_editor):
    Item = apps.get_model("gallery", "Item")
    ContentType = apps.get_model("contenttypes", "ContentType")
    capture_type = ContentType.objects.using(schema_editor.connection.alias).filter(
        app_label="captures", model="capture").first()
    if capture_type is not None:
        Item.objects.using(schema_editor.connection.alias).filter(source_type=capture_type).update(
            capture_id=models.F("source_id"))


class Migration(migrations.Migration):

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("captures", "0003_capture_assembly_started_at"),
        ("gallery", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="item",
            name="source_id",
            field=models.PositiveBigIntegerField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="item",
            name="source_type",
            field=models.ForeignKey(blank=True, help_text="The kind of object the item was made from.", null=True,
                                    on_delete=django.db.models.deletion.PROTECT, related_name="+",
                                    to="contenttypes.contenttype"),
        ),
        migrations.RunPython(captures_become_sources, sources_become_captures),
        migrations.RemoveField(
            model_name="item",
            name="capture",
        ),
        migrations.AlterField(
            model_name="itemfile",
            name="kind",
            field=models.CharField(help_text="What the file is, as the item's pipeline declares its outputs.",
                                   max_length=32),
        ),
        migrations.AddIndex(
            model_name="item",
            index=models.Index(fields=["source_type", "source_id"], name="gallery_ite_source__7eb979_idx"),
        ),
    ]
