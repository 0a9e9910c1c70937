"""A logo upload that fails after its files were written leaves no files behind."""

import io
from pathlib import Path

import pytest
from django.db import IntegrityError
from PIL import Image

from brandkit import services
from brandkit.models import Logo


def upload():
    buffer = io.BytesIO()
    Image.new("RGBA", (300, 120), (31, 78, 121, 255)).save(buffer, "PNG")
    buffer.seek(0)
    buffer.name = "mark.png"
    return buffer


def files_in(root) -> list[Path]:
    return [path for path in Path(root).rglob("*") if path.is_file()]


def test_a_stored_logo_writes_the_original_and_every_rendition(draft, settings):
    logo = services.logo_add(version=draft, upload=upload(), name="mark")
    stored = {path.relative_to(settings.MEDIA_ROOT).as_posix() for path in files_in(settings.MEDIA_ROOT)}
    assert stored == {logo.original.name, *logo.variants.values()}


@pytest.mark.parametrize("fail_at", ["logo_save", "version_save"])
def test_a_failure_after_the_files_are_written_deletes_them(draft, settings, monkeypatch, fail_at):
    def fail(*args, **kwargs):
        assert files_in(settings.MEDIA_ROOT), "the failure should come after the files were written"
        raise IntegrityError("forced")

    if fail_at == "logo_save":
        monkeypatch.setattr(Logo, "save", fail)
    else:
        monkeypatch.setattr(type(draft), "save", fail)
    with pytest.raises(IntegrityError):
        services.logo_add(version=draft, upload=upload(), name="mark")
    assert files_in(settings.MEDIA_ROOT) == []
    assert not Logo.objects.filter(version=draft).exists()


def test_a_failure_while_writing_renditions_deletes_those_already_written(draft, settings, monkeypatch):
    from django.core.files.storage import default_storage

    real_save = default_storage.save
    calls = []

    def save(name, content, **kwargs):
        calls.append(name)
        if len(calls) == 3:
            raise OSError("disk full")
        return real_save(name, content, **kwargs)

    monkeypatch.setattr(default_storage, "save", save)
    with pytest.raises(OSError):
        services.logo_add(version=draft, upload=upload(), name="mark")
    assert len(calls) == 3 and files_in(settings.MEDIA_ROOT) == []
