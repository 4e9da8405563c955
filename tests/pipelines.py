"""Helpers for tests that register pipelines of their own."""

import dataclasses

from gallery import pipelines


def answer_alias_with(monkeypatch, alias, name):
    """Makes pipeline `name` the one clients reach as `alias` (e.g. the scenes door's training_mode), taking the
    alias from any other registered pipeline, for the test's duration."""
    for registered_name, pipeline in pipelines.registered().items():
        aliases = tuple(a for a in pipeline.aliases if a != alias)
        if registered_name == name:
            aliases += (alias,)
        if aliases != pipeline.aliases:
            monkeypatch.setitem(pipelines._registry, registered_name, dataclasses.replace(pipeline, aliases=aliases))


def unregister_alias(monkeypatch, alias):
    """No registered pipeline answers to `alias` for the test's duration."""
    answer_alias_with(monkeypatch, alias, None)
