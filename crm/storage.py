"""File storage: Django's file system storage that leaves no partial file behind when a write fails."""

import contextlib

from django.core.files.storage import FileSystemStorage


class CleanFileSystemStorage(FileSystemStorage):
    """A write that fails half-way (a full disk, an I/O error) removes what it wrote, so the media folder never
    holds a truncated upload or export that no row points to."""

    def _save(self, name, content):
        existed = self.exists(name)
        try:
            return super()._save(name, content)
        except FileExistsError:
            raise
        except OSError:
            if not existed:
                with contextlib.suppress(OSError):
                    self.delete(name)
            raise
