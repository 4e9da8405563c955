"""gallery 0002: the capture each existing item was made from becomes its generic source, and back."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("gallery", "0001_initial"), ("captures", "0003_capture_assembly_started_at")]
AFTER = [("gallery", "0002_item_source")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def test_items_of_captures_keep_their_capture_as_source_through_the_migration():
    old = migrate(BEFORE)
    User = old.get_model("accounts", "User")
    Capture, Item = old.get_model("captures", "Capture"), old.get_model("gallery", "Item")
    owner = User.objects.create(email="old@example.com", username="old")
    captures = [Capture.objects.create(owner=owner, name=f"c{n}", bytesize=1) for n in range(12)]
    for capture in captures:
        Item.objects.create(owner=owner, name=capture.name, pipeline="preview", capture=capture)
    Item.objects.create(owner=owner, name="free", pipeline="preview")
    try:
        new = migrate(AFTER)
        Item, ContentType = new.get_model("gallery", "Item"), new.get_model("contenttypes", "ContentType")
        capture_type = ContentType.objects.get(app_label="captures", model="capture")
        moved = {item.name: (item.source_type_id, item.source_id) for item in Item.objects.all()}
        assert moved == {**{c.name: (capture_type.pk, c.pk) for c in captures}, "free": (None, None)}

        old = migrate(BEFORE)  # and back
        Item = old.get_model("gallery", "Item")
        assert {item.name: item.capture_id for item in Item.objects.all()} == {
            **{c.name: c.pk for c in captures}, "free": None}
    finally:
        migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
