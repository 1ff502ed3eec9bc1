"""The upload form of /imports/: the kind of sheet and the file, checked by size and by content."""

from django import forms
from django.utils.translation import gettext_lazy as _

from crm.forms.base import BootstrapFormMixin
from crm.models.imports import IMPORT_KINDS
from crm.sheets.files import MAX_BYTES, SheetFileError, sniff_format

UPLOAD_ACCEPT = ".xlsx,.xls,.ods,.csv,.txt"  # the browser's file picker; the server reads by content


class ImportUploadForm(BootstrapFormMixin, forms.Form):
    kind = forms.ChoiceField(label=_("Kind of sheet"), choices=IMPORT_KINDS)
    file = forms.FileField(
        label=_("File"),
        help_text=_(
            "An Excel or WPS workbook (.xlsx, .xls), a LibreOffice one (.ods), or text (.csv, .txt: UTF-8, "
            "GB18030 or Excel's Unicode text), at most 10 MB and 50,000 rows."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": UPLOAD_ACCEPT}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(_("The file is larger than 10 MB; split it into several files."))
        data = upload.read()
        upload.seek(0)
        try:
            sniff_format(data)  # by content, whatever the file is called
        except SheetFileError as error:
            raise forms.ValidationError(str(error)) from error
        self.file_bytes = data
        return upload
