"""Files on pages: taken only when their content is of an allowed kind, stored outside the web root under
random names, served only to whoever may read the page (never across municipalities, even with the exact
URL), with headers that keep a browser from running them; deleted with the file or with the page."""

from __future__ import annotations

import io
import os
import stat
import struct
import zipfile
import zlib
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from broen.core.models import AuditEntry
from broen.plugins.pages import attachments
from broen.plugins.pages.attachments import MAX_UPLOAD_BYTES, clean_filename, detect
from broen.plugins.pages.models import Attachment, Audience
from tests.conftest import Client, World, db_of, text_of
from tests.plugins.pages.conftest import MakePage, logged_in
from tests.sqlcount import count_statements

SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
BASE = "/silkeborg/pages"


# --- tiny real files ----------------------------------------------------------------------------------

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
        + chunk(b"IEND", b"")
    )


def zipped(parts: dict[str, str]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
    return out.getvalue()


def ooxml(main: str, *extra: str) -> bytes:
    return zipped(
        {"[Content_Types].xml": "<Types/>", "_rels/.rels": "<Relationships/>", main: "<x/>"}
        | {name: "" for name in extra}
    )


DOCX = ooxml("word/document.xml")
ODT = zipped({"mimetype": "application/vnd.oasis.opendocument.text", "content.xml": "<x/>"})


# --- what a file is, by its content --------------------------------------------------------------------


def test_a_file_is_taken_by_its_content_and_anything_that_could_run_is_refused() -> None:
    taken = {
        "pdf": PDF,
        "docx": DOCX,
        "xlsx": ooxml("xl/workbook.xml"),
        "pptx": ooxml("ppt/presentation.xml"),
        "odt": ODT,
        "png": png(),
        "jpeg": b"\xff\xd8\xff\xe0\x00\x10JFIF\x00",
        "gif": b"GIF89a\x01\x00\x01\x00\x00\x00\x00;",
        "webp": b"RIFF\x1a\x00\x00\x00WEBPVP8 ",
        "text": "Husk kaffe til caféen.\nØrsted, Åbyhøj\n".encode(),
    }
    kinds = {name: detect(data) for name, data in taken.items()}
    assert {name: kind.content_type if kind else None for name, kind in kinds.items()} == {
        "pdf": "application/pdf",
        "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "odt": "application/vnd.oasis.opendocument.text",
        "png": "image/png",
        "jpeg": "image/jpeg",
        "gif": "image/gif",
        "webp": "image/webp",
        "text": "text/plain; charset=utf-8",
    }
    refused = {
        "exe": b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00",
        "html": b"<!DOCTYPE html><html><script>alert(1)</script></html>",
        "svg": b'\xef\xbb\xbf  <svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
        "docm": ooxml("word/document.xml", "word/vbaProject.bin"),
        "zip": zipped({"readme.txt": "hello"}),
        "broken zip": b"PK\x03\x04 not really",
        "binary": bytes(range(256)),
        "empty": b"",
    }
    assert {name: detect(data) for name, data in refused.items()} == dict.fromkeys(refused)


def test_a_file_keeps_its_name_without_folders_or_control_characters_and_ends_as_its_kind_does() -> None:
    pdf, image = detect(PDF), detect(png())
    assert pdf is not None and image is not None
    assert clean_filename("../../etc/Skabelon til virksomhed.pdf", pdf) == "Skabelon til virksomhed.pdf"
    assert clean_filename("C:\\Users\\anna\\Brev æøå.PDF", pdf) == "Brev æøå.PDF"
    assert clean_filename("bad\x00\x1b[31mname\u202e.pdf", pdf) == "bad[31mname.pdf"
    assert clean_filename("photo.html", image) == "photo.html.png"
    assert clean_filename("...", pdf) == "fil.pdf"
    assert len(clean_filename("x" * 400 + ".pdf", pdf)) == attachments.MAX_FILENAME


# --- uploading, as a writer clicks through it ----------------------------------------------------------


def upload(client: Client, page_id: int, name: str, data: bytes, base: str = BASE) -> Any:
    response = client.submit(
        f"{base}/{page_id}/files",
        {"file": (io.BytesIO(data), name)},
        page=f"{base}/{page_id}",
        content_type="multipart/form-data",
    )
    response.request.environ["wsgi.input"].close()  # the test client's temporary file of a large body
    return response


def fetch(client: Client, url: str) -> tuple[int, bytes]:
    """A download's status and bytes (the response closed: it is sent from an open file)."""
    response = client.get(url)
    data = response.get_data()
    response.close()
    return response.status_code, data


def stored_files(app: Flask) -> list[Path]:
    with app.test_request_context("/"):
        folder = attachments.storage_dir()
    return sorted(p for p in folder.iterdir() if p.is_file())


def rows(app: Flask) -> list[Attachment]:
    with app.app_context():
        return list(db_of(app).session.scalars(select(Attachment).order_by(Attachment.id)))


@SQLITE_ONLY
def test_a_writer_attaches_a_pdf_a_docx_and_an_image_and_readers_download_them_safely(
    app: Flask, pages_world: World, make_page: MakePage, make_client: Any, database_url: str
) -> None:
    page_id = make_page("Letters to companies")
    client = logged_in(make_client, pages_world, "coordinator")
    for name, data in (("Brev til virksomhed.pdf", PDF), ("Skabelon.docx", DOCX), ("kort.png", png())):
        response = upload(client, page_id, name, data)
        assert response.status_code == 302 and response.location.endswith(f"{BASE}/{page_id}#files")
    assert "kort.png is attached to the page." in text_of(client.get(f"{BASE}/{page_id}"))

    # Outside the web root, next to the SQLite database, under random names: 0700 folder, 0600 files.
    folder = Path(database_url.removeprefix("sqlite:///")).parent / "uploads" / "pages"
    files = stored_files(app)
    assert [f.parent for f in files] == [folder] * 3
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert {stat.S_IMODE(f.stat().st_mode) for f in files} == {0o600}
    saved = rows(app)
    assert [(a.filename, a.content_type, a.size) for a in saved] == [
        ("Brev til virksomhed.pdf", "application/pdf", len(PDF)),
        (
            "Skabelon.docx",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            len(DOCX),
        ),
        ("kort.png", "image/png", len(png())),
    ]
    assert {f.name for f in files} == {a.stored_name for a in saved}
    assert not any("Brev" in f.name or f.suffix for f in files)
    with app.app_context():
        audit = (
            db_of(app)
            .session.scalars(select(AuditEntry).where(AuditEntry.object_type == "pages_attachment"))
            .all()
        )
    assert [(e.action, e.details["fields"]) for e in audit] == [
        ("create", ["filename", "content_type", "size"])
    ] * 3
    assert "Brev" not in str([e.details for e in audit])  # field names, never what the file is called

    page = text_of(client.get(f"{BASE}/{page_id}"))
    assert "Brev til virksomhed.pdf (PDF, 1 KB)" in page and "Skabelon.docx (Word document, 1 KB)" in page
    image = saved[2]
    image_url = f"{BASE}/{page_id}/files/{image.id}/kort.png"
    html = client.get(f"{BASE}/{page_id}").get_data(as_text=True)
    assert f'value="![kort]({image_url})"' in html  # the snippet to copy into the text

    # The snippet passes the sanitiser: the image shows on the page.
    client.submit(
        f"{BASE}/{page_id}/edit", {"title": "Letters to companies", "body": f"![kort]({image_url})"}
    )
    assert f'<img src="{image_url}" alt="kort">' in client.get(f"{BASE}/{page_id}").get_data(as_text=True)

    mentor = logged_in(make_client, pages_world, "mentor")
    pdf = saved[0]
    response = mentor.get(f"{BASE}/{page_id}/files/{pdf.id}/Brev%20til%20virksomhed.pdf")
    assert response.status_code == 200 and response.data == PDF
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.headers["Content-Disposition"] == 'attachment; filename="Brev til virksomhed.pdf"'
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "private, no-store"
    assert response.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
    response.close()
    # Readers see the list but not the writers' snippets, delete links or upload form.
    shown = mentor.get(f"{BASE}/{page_id}").get_data(as_text=True)
    assert "Skabelon.docx" in shown and "Attach a file" not in shown and "/delete" not in shown


@SQLITE_ONLY
def test_a_file_that_is_not_what_it_says_too_large_or_missing_is_refused_with_a_message_and_nothing_kept(
    app: Flask, pages_world: World, make_page: MakePage, make_client: Any
) -> None:
    page_id = make_page("Letters to companies")
    client = logged_in(make_client, pages_world, "admin")
    allowed = (
        "Allowed: PDF, Word, Excel, PowerPoint, OpenDocument, PNG, JPEG, GIF, WebP or plain text (UTF-8)."
    )
    for name, data in (
        ("invoice.pdf", b"<html><body><script>alert(1)</script></body></html>"),
        ("setup.pdf", b"MZ\x90\x00\x03\x00\x00\x00" + bytes(200)),
        ("logo.png", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
    ):
        response = upload(client, page_id, name, data)
        assert response.status_code == 400
        assert f"{name} is not a kind of file pages take. {allowed}" in text_of(response)
    too_big = upload(client, page_id, "big.pdf", PDF + bytes(MAX_UPLOAD_BYTES))
    assert too_big.status_code == 400
    assert "big.pdf is larger than 10 MB. Make it smaller, or split it." in text_of(too_big)
    nothing = client.submit(
        f"{BASE}/{page_id}/files", {}, page=f"{BASE}/{page_id}", content_type="multipart/form-data"
    )
    assert nothing.status_code == 400 and "Choose a file to attach." in text_of(nothing)
    assert rows(app) == [] and stored_files(app) == []

    # A path in the name is dropped; the file lands in the storage folder under a random name.
    assert upload(client, page_id, "../../../etc/cron.d/x.pdf", PDF).status_code == 302
    (saved,) = rows(app)
    assert saved.filename == "x.pdf" and [f.name for f in stored_files(app)] == [saved.stored_name]


def test_a_file_from_silkeborg_cannot_be_fetched_from_norddjurs_even_with_its_url(
    app: Flask, pages_world: World, make_page: MakePage, make_client: Any, tmp_path: Path
) -> None:
    app.config[attachments.STORAGE_SETTING] = str(tmp_path / "files")
    own = make_page("Only for Silkeborg", audience=Audience.MUNICIPALITY)
    shared = make_page("For everyone", audience=Audience.INSTALLATION)
    writer = logged_in(make_client, pages_world, "coordinator")
    assert upload(writer, own, "plan.pdf", PDF).status_code == 302
    assert upload(writer, shared, "fælles.pdf", PDF).status_code == 302
    mine, everyones = rows(app)
    exact = f"{BASE}/{own}/files/{mine.id}/plan.pdf"
    assert fetch(writer, exact) == (200, PDF)

    for role in ("admin", "coordinator", "mentor", "participant"):
        outsider = logged_in(make_client, pages_world, role, slug="norddjurs")
        for url in (exact, f"/norddjurs/pages/{own}/files/{mine.id}/plan.pdf"):
            status, data = fetch(outsider, url)
            assert status in (403, 404) and data != PDF, (role, url)
        # An installation-wide page's file is read under their own municipality, as the page is.
        shared_url = f"/norddjurs/pages/{shared}/files/{everyones.id}/f.pdf"
        assert fetch(outsider, shared_url) == (200, PDF)
        # ... but only through the page it belongs to.
        assert fetch(outsider, f"/norddjurs/pages/{shared}/files/{mine.id}/plan.pdf")[0] == 404


@SQLITE_ONLY
def test_a_participant_cannot_fetch_the_file_of_a_page_for_coordinators(
    app: Flask, pages_world: World, make_page: MakePage, make_client: Any
) -> None:
    page_id = make_page("Coordinators' checklist", audience=Audience.ROLE, role="coordinator")
    assert (
        upload(logged_in(make_client, pages_world, "admin"), page_id, "tjekliste.pdf", PDF).status_code == 302
    )
    (saved,) = rows(app)
    url = f"{BASE}/{page_id}/files/{saved.id}/tjekliste.pdf"
    assert fetch(logged_in(make_client, pages_world, "coordinator"), url) == (200, PDF)
    for role in ("participant", "mentor"):
        assert fetch(logged_in(make_client, pages_world, role), url)[0] == 404


@SQLITE_ONLY
def test_a_file_is_deleted_after_confirming_and_a_deleted_page_takes_its_files_from_disk(
    app: Flask, pages_world: World, make_page: MakePage, make_client: Any
) -> None:
    page_id = make_page("Letters to companies")
    client = logged_in(make_client, pages_world, "coordinator")
    for name in ("a.pdf", "b.pdf", "c.png"):
        upload(client, page_id, name, png() if name.endswith("png") else PDF)
    first = rows(app)[0]

    # The page shows its files in the same number of statements however many there are.
    with count_statements(app) as seen:
        assert client.get(f"{BASE}/{page_id}").status_code == 200
    with app.app_context():
        assert db_of(app).session.scalar(select(func.count()).select_from(Attachment)) == 3
    upload(client, page_id, "d.pdf", PDF)
    with count_statements(app) as again:
        client.get(f"{BASE}/{page_id}")
    assert len(again) == len(seen)

    confirm = client.get(f"{BASE}/{page_id}/files/{first.id}/delete")
    assert "Delete a.pdf?" in text_of(confirm) and len(stored_files(app)) == 4
    deleted = client.submit(f"{BASE}/{page_id}/files/{first.id}/delete", {})
    assert deleted.status_code == 302 and "a.pdf is deleted." in text_of(client.get(deleted.location))
    assert len(rows(app)) == 3 and first.stored_name not in {f.name for f in stored_files(app)}

    assert client.submit(f"{BASE}/{page_id}/delete", {}).status_code == 302
    assert rows(app) == [] and stored_files(app) == []
    with app.app_context():
        actions = (
            db_of(app)
            .session.execute(
                select(AuditEntry.action, func.count())
                .where(AuditEntry.object_type == "pages_attachment")
                .group_by(AuditEntry.action)
            )
            .all()
        )
    assert dict(actions) == {"create": 4, "delete": 4}
    with app.test_request_context("/"):
        assert os.listdir(attachments.storage_dir()) == []  # no temporary file left either


@SQLITE_ONLY
def test_an_image_on_an_installation_wide_page_shows_for_a_reader_of_another_municipality(
    app: Flask, pages_world: World, make_page: MakePage, make_client: Any, tmp_path: Path
) -> None:
    from broen.plugins.pages import services
    from broen.plugins.pages.models import Page

    app.config[attachments.STORAGE_SETTING] = str(tmp_path / "files")
    shared = make_page("For everyone", audience=Audience.INSTALLATION)
    writer = logged_in(make_client, pages_world, "coordinator")
    assert upload(writer, shared, "kort.png", png()).status_code == 302
    (image,) = rows(app)
    with app.test_request_context(f"{BASE}/{shared}"):
        db = db_of(app)
        page = db.session.get_one(Page, shared)
        text = f"![Kort]({BASE}/{shared}/files/{image.id}/kort.png)"  # the snippet the page offers to copy
        services.update_page(db, page, None, services.PageData(page.title, text, page.slug))
    assert f'src="{BASE}/{shared}/files/{image.id}/' in writer.get(f"{BASE}/{shared}").get_data(as_text=True)
    reader = logged_in(make_client, pages_world, "coordinator", slug="norddjurs")
    html = reader.get(f"/norddjurs/pages/{shared}").get_data(as_text=True)
    src = f"/norddjurs/pages/{shared}/files/{image.id}/kort.png"
    assert f'src="{src}"' in html and f"{BASE}/{shared}/files/" not in html
    assert fetch(reader, src) == (200, png())
