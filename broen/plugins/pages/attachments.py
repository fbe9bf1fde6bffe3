"""Files attached to a page (PDF and DOCX templates, images): storing, checking, serving and deleting them.

A file is taken only if its *content* is of an allowed kind (`detect`: magic bytes, and for office files
the parts inside the ZIP), never by its name or the browser's word for it; SVG, HTML and programs are
refused. It is stored outside the web root and the package, under a random name (`stored_name`), written
to a temporary name first and renamed when whole, mode 0600 in a folder of mode 0700. The name it had is
cleaned (`clean_filename`) and only shown and offered when it is downloaded.

Where the files lie (`storage_dir`): `app.config["PAGES_ATTACHMENTS_DIR"]`, else the environment's
`BROEN_PAGES_ATTACHMENTS_DIR`, else `uploads/pages/` in the instance folder: the SQLite database's folder,
or Flask's `instance_path` for another database.

A file is read by whoever may read its page (`visibility.visible_condition`, under the municipality in
the URL: an installation-wide page's files too), and only through the page it belongs to; uploading and
deleting are for the writers who may edit the page (`visibility.may_edit`).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import re
import secrets
import tempfile
import unicodedata
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import (
    abort,
    current_app,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from wtforms import FileField

from broen import api
from broen.plugins.pages import reading, views
from broen.plugins.pages.models import Attachment, Page
from broen.plugins.pages.services import _
from broen.plugins.pages.visibility import READERS, WRITERS

#: The largest file taken (bytes).
MAX_UPLOAD_BYTES = 10 * 1024 * 1024
#: The most files one page holds (the page lists them all).
MAX_ATTACHMENTS_PER_PAGE = 100
#: The longest file name kept (characters).
MAX_FILENAME = 200
#: Flask setting (and, below it, environment variable) naming the folder the files are kept in.
STORAGE_SETTING = "PAGES_ATTACHMENTS_DIR"
STORAGE_ENV = "BROEN_PAGES_ATTACHMENTS_DIR"
#: A stored name as `secrets.token_urlsafe(24)` makes it: anything else is never opened.
STORED_NAME = re.compile(r"^[A-Za-z0-9_-]{32}$")
#: Control characters no text file holds (tab, line breaks and form feed are fine).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")

_l = api.lazy_gettext


@dataclass(frozen=True)
class Kind:
    """An allowed kind of file: its content type, its file name endings (the first is added to a name
    that has none of them) and what a reader calls it."""

    content_type: str
    extensions: tuple[str, ...]
    label: Any
    image: bool = False


PDF = Kind("application/pdf", (".pdf",), _l("PDF"))
DOCX = Kind(
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document", (".docx",), _l("Word document")
)
XLSX = Kind(
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (".xlsx",), _l("Spreadsheet")
)
PPTX = Kind(
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    (".pptx",),
    _l("Presentation"),
)
ODT = Kind("application/vnd.oasis.opendocument.text", (".odt",), _l("Text document"))
ODS = Kind("application/vnd.oasis.opendocument.spreadsheet", (".ods",), _l("Spreadsheet"))
ODP = Kind("application/vnd.oasis.opendocument.presentation", (".odp",), _l("Presentation"))
PNG = Kind("image/png", (".png",), _l("Image"), image=True)
JPEG = Kind("image/jpeg", (".jpg", ".jpeg"), _l("Image"), image=True)
GIF = Kind("image/gif", (".gif",), _l("Image"), image=True)
WEBP = Kind("image/webp", (".webp",), _l("Image"), image=True)
TEXT = Kind("text/plain; charset=utf-8", (".txt", ".csv", ".md"), _l("Text"))
KINDS = {k.content_type: k for k in (PDF, DOCX, XLSX, PPTX, ODT, ODS, ODP, PNG, JPEG, GIF, WEBP, TEXT)}
#: What the refusal names as allowed.
ALLOWED_TEXT = _l("PDF, Word, Excel, PowerPoint, OpenDocument, PNG, JPEG, GIF, WebP or plain text (UTF-8)")

#: OOXML: the part that says which kind of office file a ZIP is.
_OOXML_MAIN = (("word/document.xml", DOCX), ("xl/workbook.xml", XLSX), ("ppt/presentation.xml", PPTX))
_ODF = {ODT.content_type: ODT, ODS.content_type: ODS, ODP.content_type: ODP}


class AttachmentError(Exception):
    """A file cannot be attached as asked: `message` says why, `field` names the form field."""

    def __init__(self, message: str, field: str = "file") -> None:
        super().__init__(message)
        self.field = field
        self.message = message


# --- what a file is -----------------------------------------------------------------------------------


def _office(data: bytes) -> Kind | None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            if "mimetype" in names:
                info = archive.getinfo("mimetype")
                if info.file_size > 100:
                    return None
                return _ODF.get(archive.read("mimetype").decode("ascii", "replace").strip())
            if "[Content_Types].xml" not in names or any(n.lower().endswith("vbaproject.bin") for n in names):
                return None  # not OOXML, or with macros (a .docm renamed .docx)
            return next((kind for part, kind in _OOXML_MAIN if part in names), None)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, KeyError, OSError, ValueError, NotImplementedError):
        return None


def _text(data: bytes) -> Kind | None:
    """UTF-8 text without control characters that is not markup (HTML, SVG, XML: refused)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if _CONTROL.search(text):
        return None
    if text.lstrip("\ufeff \t\r\n").startswith("<"):
        return None
    return TEXT


def detect(data: bytes) -> Kind | None:
    """The allowed kind `data` is, by its content alone; None for anything else (SVG, HTML, programs)."""
    if data.startswith(b"%PDF-"):
        return PDF
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data.startswith((b"GIF87a", b"GIF89a")):
        return GIF
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return WEBP
    if data.startswith(b"PK\x03\x04"):
        return _office(data)
    if data:
        return _text(data)
    return None


def _base_name(name: str) -> str:
    """`name` without folders, control characters or surrounding spaces and dots (Danish letters kept)."""
    name = unicodedata.normalize("NFC", name.replace("\\", "/").rsplit("/", 1)[-1])
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C")
    return " ".join(name.split()).strip(" .")[:MAX_FILENAME]


def clean_filename(name: str, kind: Kind) -> str:
    """The name to show and offer: without folders or control characters (Danish letters kept), at most
    `MAX_FILENAME` characters, ending as `kind`'s files do (an image named x.html becomes x.png)."""
    name = _base_name(name)
    stem, dot, ending = name.rpartition(".")
    if not dot:
        stem, ending = name, ""
    if f".{ending.lower()}" not in kind.extensions:
        stem = name
        ending = kind.extensions[0][1:]
    stem = stem[: MAX_FILENAME - len(ending) - 1].rstrip(" .") or "fil"
    return f"{stem}.{ending}"


# --- where the files lie ------------------------------------------------------------------------------


def storage_dir() -> Path:
    """The folder the current app keeps the files in (made, mode 0700, when missing)."""
    configured = current_app.config.get(STORAGE_SETTING) or os.environ.get(STORAGE_ENV)
    if configured:
        folder = Path(configured)
    else:
        url = api.db().engine.url
        database = url.database if url.get_backend_name() == "sqlite" else None
        instance = (
            Path(database).parent if database and database != ":memory:" else Path(current_app.instance_path)
        )
        folder = instance / "uploads" / "pages"
    if not folder.is_dir():
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        folder.chmod(0o700)
    return folder


def file_path(attachment: Attachment) -> Path | None:
    """Where `attachment`'s file lies; None when its stored name is not one this module makes."""
    if not STORED_NAME.match(attachment.stored_name or ""):
        return None
    return storage_dir() / attachment.stored_name


def _write(folder: Path, data: bytes) -> str:
    """Write `data` under a new random name (temporary name first, renamed when whole); the name."""
    stored = secrets.token_urlsafe(24)
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".upload-")  # mode 0600
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, folder / stored)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    return stored


def remove_files(stored_names: Iterable[str]) -> None:
    """Remove stored files (after the rows are gone: a failed commit must not lose a file)."""
    folder = storage_dir()
    for name in stored_names:
        if STORED_NAME.match(name):
            with contextlib.suppress(FileNotFoundError):
                (folder / name).unlink()


# --- services -----------------------------------------------------------------------------------------


def attachments_of(db: api.Database, page: Page) -> list[Attachment]:
    """The page's files, by name (at most `MAX_ATTACHMENTS_PER_PAGE`: one statement)."""
    stmt = (
        select(Attachment)
        .where(Attachment.page_id == page.id, Attachment.municipality_id == page.municipality_id)
        .order_by(Attachment.filename, Attachment.id)
        .limit(MAX_ATTACHMENTS_PER_PAGE)
    )
    return list(db.session.scalars(stmt))


def add_attachment(
    db: api.Database, page: Page, by: api.User | None, filename: str, data: bytes
) -> Attachment:
    """Attach `data` (the file's content, named `filename` by its writer) to `page`: checked, stored,
    audited, committed; or `AttachmentError` and nothing is stored."""
    shown = _base_name(filename or "") or _("The file")
    if not data:
        raise AttachmentError(_("%(name)s is empty. Choose a file with something in it.", name=shown))
    if len(data) > MAX_UPLOAD_BYTES:
        raise AttachmentError(
            _(
                "%(name)s is larger than %(size)d MB. Make it smaller, or split it.",
                name=shown,
                size=MAX_UPLOAD_BYTES // (1024 * 1024),
            )
        )
    kind = detect(data)
    if kind is None:
        raise AttachmentError(
            _(
                "%(name)s is not a kind of file pages take. Allowed: %(allowed)s.",
                name=shown,
                allowed=ALLOWED_TEXT,
            )
        )
    api.lock_row(db, Page, page.id)  # a page deleted meanwhile takes its files with it, or gets this one
    count = db.session.scalar(
        select(func.count()).select_from(Attachment).where(Attachment.page_id == page.id)
    )
    if (count or 0) >= MAX_ATTACHMENTS_PER_PAGE:
        db.session.rollback()
        raise AttachmentError(
            _("The page has %(num)d files already. Delete one first.", num=MAX_ATTACHMENTS_PER_PAGE)
        )
    stored = _write(storage_dir(), data)
    attachment = Attachment(
        municipality_id=page.municipality_id,
        page_id=page.id,
        stored_name=stored,
        filename=clean_filename(filename or "", kind),
        content_type=kind.content_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        uploaded_at=api.utcnow(),
        uploaded_by_id=by.id if by else None,
    )
    try:
        db.session.add(attachment)
        db.session.flush()
        api.audit.record(
            db,
            "create",
            "pages_attachment",
            attachment.id,
            by=by,
            municipality_id=page.municipality_id,
            fields=["filename", "content_type", "size"],
            page_id=page.id,
        )
        db.session.commit()
    except BaseException as err:
        db.session.rollback()
        remove_files([stored])
        if isinstance(err, IntegrityError):
            raise AttachmentError(_("The page was deleted meanwhile: the file is not kept.")) from err
        raise
    return attachment


def delete_attachment(db: api.Database, attachment: Attachment, by: api.User | None) -> None:
    """Delete the file's row (audited, committed), then the file."""
    stored = attachment.stored_name
    api.audit.record(
        db,
        "delete",
        "pages_attachment",
        attachment.id,
        by=by,
        municipality_id=attachment.municipality_id,
        page_id=attachment.page_id,
    )
    db.session.delete(attachment)
    db.session.commit()
    remove_files([stored])


def delete_rows_of_page(db: api.Database, page: Page, by: api.User | None) -> list[str]:
    """In the caller's transaction (deleting `page`): delete its files' rows, audited; the stored names,
    to `remove_files` once the transaction is committed."""
    rows = db.session.execute(
        select(Attachment.id, Attachment.stored_name).where(Attachment.page_id == page.id)
    ).all()
    if rows:
        api.audit.record_each(
            db,
            "delete",
            "pages_attachment",
            [row.id for row in rows],
            by=by,
            municipality_id=page.municipality_id,
            page_id=page.id,
        )
        db.session.execute(delete(Attachment).where(Attachment.page_id == page.id))
    return [row.stored_name for row in rows]


# --- routes (on the pages blueprint) ------------------------------------------------------------------


class UploadForm(FlaskForm):  # type: ignore[misc]  # Flask-WTF ships no type hints
    file = FileField(
        _l("File"),
        description=_l(
            "PDF, Word, Excel, PowerPoint, OpenDocument, PNG, JPEG, GIF, WebP or plain text; at most 10 MB."
        ),
    )


def file_size(size: int) -> str:
    """A file's size as a reader reads it: "12 KB", "3,4 MB" (in the reader's language)."""
    if size < 1024 * 1024:
        return _("%(num)s KB", num=api.format_decimal(max(1, round(size / 1024))))
    return _("%(num)s MB", num=api.format_decimal(round(size / (1024 * 1024), 1)))


def snippet(attachment: Attachment) -> str:
    """The Markdown a writer copies into the text: an image for an image, else a link to the file."""
    kind = kind_of(attachment)
    text = re.sub(r"[\[\]\\]", "", attachment.filename)
    if kind is not None and kind.image:
        return f"![{text.rsplit('.', 1)[0]}]({file_url(attachment)})"
    return f"[{text}]({file_url(attachment)})"


def kind_of(attachment: Attachment) -> Kind | None:
    return KINDS.get(attachment.content_type)


def file_url(attachment: Attachment) -> str:
    return url_for(
        "pages.download",
        page_id=attachment.page_id,
        attachment_id=attachment.id,
        filename=attachment.filename,
    )


@views.bp.context_processor
def _attachment_helpers() -> dict[str, Any]:
    return {
        "page_attachments": lambda page: attachments_of(api.db(), page),
        "attachment_kind": kind_of,
        "attachment_url": file_url,
        "file_size": file_size,
        "attachment_snippet": snippet,
        # Made when a page shows it (a form makes a CSRF token: not on every page of the blueprint).
        "upload_form": lambda: g.get("pages_upload_form") or UploadForm(formdata=None),
        "max_upload_mb": MAX_UPLOAD_BYTES // (1024 * 1024),
    }


def _own_attachment(page: Page, attachment_id: int) -> Attachment:
    attachment = api.db().session.scalar(
        api.scoped(Attachment).where(Attachment.id == attachment_id, Attachment.page_id == page.id)
    )
    if attachment is None:
        abort(404)
    return attachment


def _refused(page_id: int, form: UploadForm) -> ResponseReturnValue:
    """The page again, its upload form showing what is wrong (400)."""
    g.pages_upload_form = form
    response = make_response(views.show(page_id))
    response.status_code = 400
    return response


@views.bp.route("/<int:page_id>/files", methods=["POST"])
@api.require_role(*WRITERS)
def upload(page_id: int) -> ResponseReturnValue:
    db = api.db()
    page = views._own_page_to_edit(page_id)
    form = UploadForm()
    if not form.validate_on_submit():
        return _refused(page_id, form)
    upload = request.files.get(form.file.name)
    if upload is None or not upload.filename:
        form.file.errors = [*form.file.errors, _("Choose a file to attach.")]
        return _refused(page_id, form)
    data = upload.stream.read(MAX_UPLOAD_BYTES + 1)
    try:
        attachment = add_attachment(db, page, api.current_user(), upload.filename, data)
    except AttachmentError as err:
        form.file.errors = [*form.file.errors, err.message]
        return _refused(page_id, form)
    flash(_("%(name)s is attached to the page.", name=attachment.filename), "success")
    return redirect(url_for("pages.show", page_id=page.id, _anchor="files"))


@views.bp.route("/<int:page_id>/files/<int:attachment_id>/<filename>")
@api.require_role(*READERS)
def download(page_id: int, attachment_id: int, filename: str) -> ResponseReturnValue:
    """The file, to whoever may read its page here; the name in the URL is only for the browser."""
    db = api.db()
    page = reading.visible_page(db, api.current_user(), api.current_municipality(), page_id)
    if page is None:
        abort(404)
    attachment = db.session.scalar(
        select(Attachment).where(
            Attachment.id == attachment_id,
            Attachment.page_id == page.id,
            Attachment.municipality_id == page.municipality_id,
        )
    )
    path = file_path(attachment) if attachment is not None else None
    if attachment is None or path is None or not path.is_file():
        abort(404)
    kind = kind_of(attachment)
    response = send_file(
        path,
        mimetype=kind.content_type if kind else "application/octet-stream",
        as_attachment=True,
        download_name=attachment.filename,
        conditional=False,
        etag=False,
        last_modified=None,
        max_age=None,
    )
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@views.bp.route("/<int:page_id>/files/<int:attachment_id>/delete", methods=["GET", "POST"])
@api.require_role(*WRITERS)
def delete_file(page_id: int, attachment_id: int) -> ResponseReturnValue:
    db = api.db()
    page = views._own_page_to_edit(page_id)
    attachment = _own_attachment(page, attachment_id)
    form = api.ConfirmForm()
    if form.validate_on_submit():
        name = attachment.filename
        delete_attachment(db, attachment, api.current_user())
        flash(_("%(name)s is deleted.", name=name), "success")
        return redirect(url_for("pages.show", page_id=page.id, _anchor="files"))
    return render_template(
        "pages/confirm.html",
        form=form,
        page=page,
        heading=_("Delete %(name)s?", name=attachment.filename),
        text=_(
            "The file is removed from the page. Links and images in the text that point to it stop working. "
            "This cannot be undone."
        ),
        button=_("Yes, delete the file"),
    )
