from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("captures", "0006_capture_show_preview_publicly"),
    ]

    operations = [
        migrations.AddField(
            model_name="capture",
            name="photo_files",
            field=models.JSONField(
                blank=True, default=list,
                help_text='Photos picked one by one and sent as one upload, one after another: [{"name", "size"}] '
                          "in that order (empty for a single file). The worker that joins the parts packs them "
                          "into a zip."),
        ),
    ]
