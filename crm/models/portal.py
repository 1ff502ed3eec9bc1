"""The enterprise's own page (企业服务码, DESIGN §11.5): access links per contact and the files a need arrives with."""

import datetime as dt
import hashlib

from django.db import models
from django.db.models.signals import post_delete
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.models.base import TimeStampedModel
from crm.models.engagement import _file_delete_on_commit
from crm.querysets import EnterpriseAccessQuerySet, NeedAttachmentQuerySet

ACCESS_DEFAULT_DAYS = 180


def access_token_hash(token: str) -> str:
    """The SHA-256 of a token, as stored (the token itself is never kept)."""
    return hashlib.sha256((token or "").encode("utf-8", "surrogatepass")).hexdigest()


def access_default_expiry() -> dt.datetime:
    return timezone.now() + dt.timedelta(days=ACCESS_DEFAULT_DAYS)


class EnterpriseAccess(TimeStampedModel):
    """A secret link (``/e/<token>/``) through which one contact acts for its enterprise without an account.

    The token (≥ 128 bits) is shown once when the link is made; only its SHA-256 is stored. A link is live
    until it expires or is revoked.
    """

    contact = models.ForeignKey(
        "crm.Contact",
        verbose_name=_("contact"),
        on_delete=models.CASCADE,
        related_name="access_links",
    )
    token_hash = models.CharField(
        _("token hash"),
        max_length=64,
        unique=True,
        editable=False,
    )
    expires_at = models.DateTimeField(
        _("expires at"),
        default=access_default_expiry,
    )
    revoked_at = models.DateTimeField(
        _("revoked at"),
        null=True,
        blank=True,
    )
    revoked_by = models.ForeignKey(
        "crm.User",
        verbose_name=_("revoked by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    last_used_at = models.DateTimeField(
        _("last used at"),
        null=True,
        blank=True,
    )
    printed = models.BooleanField(
        _("made for a printed record"),
        default=False,
    )

    objects = EnterpriseAccessQuerySet.as_manager()

    class Meta:
        verbose_name = _("enterprise access link")
        verbose_name_plural = _("enterprise access links")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["contact", "-created_at"], name="crm_access_contact_idx")]

    def __str__(self) -> str:
        return f"{self.contact} · {self.expires_at:%Y-%m-%d}"

    @property
    def is_live(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()


def need_attachment_path(instance: "NeedAttachment", filename: str) -> str:
    return f"needs/{timezone.now():%Y/%m}/{instance.need.code}/{filename}"


class NeedAttachment(TimeStampedModel):
    """A photo or PDF an enterprise sent with the need it raised on its page (checked by content like a visit's)."""

    need = models.ForeignKey(
        "crm.Need",
        verbose_name=_("need"),
        on_delete=models.CASCADE,
        related_name="attachments",
    )
    contact = models.ForeignKey(
        "crm.Contact",
        verbose_name=_("contact"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    file = models.FileField(
        _("file"),
        upload_to=need_attachment_path,
    )
    name = models.CharField(
        _("file name"),
        max_length=200,
    )
    content_type = models.CharField(
        _("content type"),
        max_length=50,
    )
    size = models.PositiveIntegerField(
        _("size in bytes"),
    )

    objects = NeedAttachmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("need attachment")
        verbose_name_plural = _("need attachments")
        ordering = ["need_id", "id"]

    def __str__(self) -> str:
        return self.name


@receiver(post_delete, sender=NeedAttachment, dispatch_uid="crm_need_attachment_file_delete")
def need_attachment_file_delete(sender, instance: NeedAttachment, **kwargs) -> None:
    _file_delete_on_commit(instance.file.storage, instance.file.name)
