"""crm.storage and the disk-full answer: a failed write leaves no partial file, and the user gets 507, not 500."""

import errno
from unittest import mock

import pytest
from django.core.files.base import ContentFile, File
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from crm.models import Visit
from crm.storage import CleanFileSystemStorage


class _FailingContent(File):
    """Yields one chunk, then the disk is full."""

    def __init__(self):
        super().__init__(None, name="upload.bin")

    def chunks(self, chunk_size=None):
        yield b"x" * 1024
        raise OSError(errno.ENOSPC, "No space left on device")


def test_a_failed_write_leaves_no_partial_file(tmp_path):
    storage = CleanFileSystemStorage(location=tmp_path)
    with pytest.raises(OSError):
        storage.save("visits/2026/upload.bin", _FailingContent())
    assert not (tmp_path / "visits/2026/upload.bin").exists()


def test_a_failed_write_keeps_an_existing_file_of_another_name(tmp_path):
    storage = CleanFileSystemStorage(location=tmp_path)
    kept = storage.save("a.bin", ContentFile(b"kept"))
    with pytest.raises(OSError):
        storage.save("b.bin", _FailingContent())
    assert storage.open(kept).read() == b"kept"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.bin"]


def _disk_full(*args, **kwargs):
    raise OSError(errno.ENOSPC, "No space left on device")


@pytest.mark.usefixtures("media_root")
def test_a_full_disk_answers_507_on_a_page_and_saves_nothing(client, officer, enterprise):
    client.force_login(officer)
    photo = SimpleUploadedFile("现场.jpg", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64, "image/jpeg")
    data = {
        "enterprise": enterprise.pk,
        "visited_on": timezone.localdate().isoformat(),
        "kind": "on_site",
        "flag": "green",
        "q_needs": "扩大产能",
        "needs-TOTAL_FORMS": "0",
        "needs-INITIAL_FORMS": "0",
        "needs-MIN_NUM_FORMS": "0",
        "needs-MAX_NUM_FORMS": "1000",
        "attachments": photo,
    }
    with mock.patch.object(CleanFileSystemStorage, "_save", _disk_full):
        response = client.post(reverse("crm:visit-create"), data)
    assert response.status_code == 507
    assert "磁盘已满" in response.content.decode()
    assert not Visit.objects.exists()


def test_a_full_disk_answers_507_json_under_the_api(api_as, manager, enterprise):
    with mock.patch("crm.api.enterprises.EnterpriseViewSet.list", side_effect=_disk_full):
        response = api_as(manager).get("/api/v1/enterprises/")
    assert response.status_code == 507
    assert "disk" in response.json()["detail"] or "磁盘" in response.json()["detail"]
