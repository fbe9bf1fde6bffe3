"""The pages plugin's pages under /<municipality>/pages/: the tree, a page, writing and previewing,
publishing, deleting, versions (list, compare, restore).

Reading goes through `reading` (and so through `visibility.visible_condition`); every change goes
through `services`. Writes are only ever about the municipality's own pages (`api.get_scoped_or_404`),
and a page a writer may not see answers 404 as if it were not there.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from markupsafe import Markup
from sqlalchemy import select

from broen import api
from broen.plugins.pages import reading, render, services
from broen.plugins.pages.forms import AUDIENCES, ROLES, PageForm, PreviewForm, PublishForm
from broen.plugins.pages.models import Audience, Kind, Page, PageVersion, Status
from broen.plugins.pages.services import PageError, _
from broen.plugins.pages.visibility import PUBLISHERS, READERS, WRITERS, may_edit, may_publish, may_write

bp = Blueprint("pages", __name__, template_folder="templates")
#: The editor's script and the pages' stylesheet, at /<municipality>/public/pages/static/ (no data in them).
assets = Blueprint("pages_public", __name__, static_folder="static")


@bp.context_processor
def _helpers() -> dict[str, Any]:
    return {"audiences": AUDIENCES, "role_names": ROLES, "Status": Status, "Audience": Audience}


def _user() -> api.User:
    return api.current_user()


def _own_page_to_edit(page_id: int) -> Page:
    """The municipality's own page, if the current user may edit it (else 404: they may not even see it)."""
    page = api.get_scoped_or_404(api.db(), Page, page_id)
    if not may_edit(_user(), page):
        abort(404)
    return page


# --- reading ------------------------------------------------------------------------------------------


@bp.route("/")
@api.require_role(*READERS)
def index() -> ResponseReturnValue:
    municipality = api.current_municipality()
    page, total = reading.tree(api.db(), _user(), municipality, api.requested_page())
    return render_template(
        "pages/index.html", page=page, total=total, may_write=may_write(_user(), municipality)
    )


@bp.route("/<int:page_id>")
@api.require_role(*READERS)
def show(page_id: int) -> ResponseReturnValue:
    db, user, municipality = api.db(), _user(), api.current_municipality()
    page = reading.visible_page(db, user, municipality, page_id)
    if page is None:
        abort(404)
    own = page.municipality_id == municipality.id
    html = render.page_html(page.body, page.body_html, page.render_version)
    if not own:
        # The page's files are linked under its own municipality's address; a reader from another one (an
        # installation-wide page) opens them under theirs. Slugs are [a-z0-9-]: no markup is added.
        files = f"/pages/{page.id}/files/"
        html = Markup(str(html).replace(f"/{page.municipality.slug}{files}", f"/{municipality.slug}{files}"))  # noqa: S704
    return render_template(
        "pages/show.html",
        page=page,
        html=html,
        crumbs=reading.breadcrumbs(db, user, municipality, page),
        children=reading.children(db, user, municipality, page) if page.kind == Kind.PAGE else [],
        own=own,
        owner=page.municipality.name,
        may_edit=own and may_edit(user, page),
        may_publish=own and may_publish(user, municipality),
        may_add=own and page.kind == Kind.PAGE and may_edit(user, page),
    )


# --- writing ------------------------------------------------------------------------------------------


def _data(form: PageForm) -> services.PageData:
    return services.PageData(
        title=form.title.data or "",
        body=form.body.data or "",
        slug=form.slug.data or "",
        position=form.position.data or 0,
        news_date=form.news_date.data,
    )


def _preview(form: PageForm) -> Any:
    return render.page_html(form.body.data or "", "", 0) if "preview" in request.form else None


@bp.route("/new", methods=["GET", "POST"])
@api.require_role(*WRITERS)
def new() -> ResponseReturnValue:
    db, user, municipality = api.db(), _user(), api.current_municipality()
    kind = Kind.NEWS if request.args.get("kind") == Kind.NEWS.value else Kind.PAGE
    parent = None
    parent_id = request.args.get("parent", "")
    if kind == Kind.PAGE and parent_id:
        if not parent_id.isdigit():
            abort(404)
        parent = _own_page_to_edit(int(parent_id))
        if parent.kind != Kind.PAGE:
            abort(404)
    form = PageForm()
    if request.method == "GET" and kind == Kind.NEWS:
        form.news_date.data = api.local_today(municipality)
    preview = _preview(form)
    if preview is None and form.validate_on_submit():
        try:
            page = services.create_page(db, municipality, user, _data(form), kind=kind, parent=parent)
        except PageError as err:
            db.session.rollback()
            api.field_error(form, err, "title")
        else:
            flash(
                _(
                    "The draft is saved. Only the municipality's writers can see it until an admin publishes it."
                ),
                "success",
            )
            return redirect(url_for("pages.show", page_id=page.id))
    status = 400 if request.method == "POST" and preview is None else 200
    return render_template(
        "pages/form.html", form=form, page=None, kind=kind, parent=parent, preview=preview
    ), status


@bp.route("/<int:page_id>/edit", methods=["GET", "POST"])
@api.require_role(*WRITERS)
def edit(page_id: int) -> ResponseReturnValue:
    db = api.db()
    page = _own_page_to_edit(page_id)
    form = PageForm(obj=page) if request.method == "GET" else PageForm()
    preview = _preview(form)
    if preview is None and form.validate_on_submit():
        try:
            changed = services.update_page(db, page, _user(), _data(form))
        except PageError as err:
            db.session.rollback()
            api.field_error(form, err, "title")
        else:
            flash(_("The changes are saved.") if changed else _("Nothing was changed."), "success")
            return redirect(url_for("pages.show", page_id=page.id))
    status = 400 if request.method == "POST" and preview is None else 200
    return render_template(
        "pages/form.html", form=form, page=page, kind=page.kind, parent=None, preview=preview
    ), status


@bp.route("/preview", methods=["POST"])
@api.require_role(*WRITERS)
def preview() -> ResponseReturnValue:
    """The sanitised HTML of the posted Markdown, for the editor's live preview (JSON: {"html": ...})."""
    form = PreviewForm()
    if not form.validate_on_submit():
        return jsonify(errors=form.errors), 400
    return jsonify(html=str(render.page_html(form.body.data or "", "", 0)))


# --- publishing ---------------------------------------------------------------------------------------


@bp.route("/<int:page_id>/publish", methods=["GET", "POST"])
@api.require_role(*PUBLISHERS)
def publish(page_id: int) -> ResponseReturnValue:
    db = api.db()
    page = api.get_scoped_or_404(db, Page, page_id)
    form = PublishForm()
    if request.method == "GET":
        form.audience.data = page.audience.value
        form.role.data = page.audience_role.value if page.audience_role else ""
    if form.validate_on_submit():
        audience = Audience(form.audience.data)
        role = api.Role(form.role.data) if form.role.data else None
        try:
            services.publish(db, page, _user(), audience, role)
        except PageError as err:
            db.session.rollback()
            api.field_error(form, err, "audience")
        else:
            flash(_("The page is published."), "success")
            return redirect(url_for("pages.show", page_id=page.id))
    status = 400 if request.method == "POST" else 200
    return render_template("pages/publish.html", form=form, page=page), status


@bp.route("/<int:page_id>/unpublish", methods=["GET", "POST"])
@api.require_role(*PUBLISHERS)
def unpublish(page_id: int) -> ResponseReturnValue:
    db = api.db()
    page = api.get_scoped_or_404(db, Page, page_id)
    form = api.ConfirmForm()
    if page.status != Status.PUBLISHED:
        flash(_("The page is a draft already."), "info")
        return redirect(url_for("pages.show", page_id=page.id))
    if form.validate_on_submit():
        services.unpublish(db, page, _user())
        flash(_("The page is a draft again. Only the municipality's writers can see it."), "success")
        return redirect(url_for("pages.show", page_id=page.id))
    return render_template(
        "pages/confirm.html",
        form=form,
        page=page,
        heading=_("Unpublish %(title)s?", title=page.title),
        text=_("The page becomes a draft: only the municipality's admins and coordinators can see it."),
        button=_("Yes, unpublish"),
    )


@bp.route("/<int:page_id>/delete", methods=["GET", "POST"])
@api.require_role(*WRITERS)
def delete(page_id: int) -> ResponseReturnValue:
    db = api.db()
    page = _own_page_to_edit(page_id)
    form = api.ConfirmForm()
    refusal = _("The page has sub-pages. Delete them first.") if services.has_children(db, page) else None
    if refusal is None and form.validate_on_submit():
        try:
            services.delete_page(db, page, _user())
        except PageError as err:
            refusal = err.message
        else:
            flash(_("The page is deleted."), "success")
            return redirect(url_for("pages.index"))
    return render_template(
        "pages/confirm.html",
        form=form,
        page=page,
        heading=_("Delete %(title)s?", title=page.title),
        text=_("The page and all its versions are deleted. This cannot be undone."),
        button=_("Yes, delete"),
        refusal=refusal,
    ), (409 if refusal and request.method == "POST" else 200)


# --- versions -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class VersionRow:
    version: PageVersion
    saved_by: str | None


@bp.route("/<int:page_id>/versions")
@api.require_role(*WRITERS)
def versions(page_id: int) -> ResponseReturnValue:
    db = api.db()
    page = _own_page_to_edit(page_id)
    stmt = (
        select(PageVersion)
        .add_columns(api.User.name)
        .outerjoin(api.User, api.User.id == PageVersion.saved_by_id)
        .where(PageVersion.page_id == page.id)
        .order_by(PageVersion.number.desc())
    )
    listed = api.paginate(db, stmt, api.requested_page(), item=VersionRow)
    return render_template("pages/versions.html", page=page, listed=listed)


@dataclass(frozen=True)
class DiffLine:
    """One line of a comparison: "same", "removed" or "added", and its text (escaped when shown)."""

    kind: str
    text: str


def diff_lines(old: str, new: str) -> list[DiffLine]:
    """`old` and `new` compared line by line (difflib), every line of both in order."""
    out = []
    for line in difflib.ndiff(old.splitlines(), new.splitlines()):
        code, text = line[:2], line[2:]
        if code == "? ":
            continue  # difflib's hints under changed lines
        out.append(DiffLine({"  ": "same", "- ": "removed", "+ ": "added"}[code], text))
    return out


def _version(page: Page, version_id: str | None) -> PageVersion | None:
    if not version_id or not version_id.isdigit():
        return None
    return api.db().session.scalar(
        api.scoped(PageVersion).where(PageVersion.page_id == page.id, PageVersion.id == int(version_id))
    )


@bp.route("/<int:page_id>/versions/compare")
@api.require_role(*WRITERS)
def compare(page_id: int) -> ResponseReturnValue:
    """Two versions side by side (`?old=<id>&new=<id>`; by default the newest and the one before)."""
    db = api.db()
    page = _own_page_to_edit(page_id)
    old, new = _version(page, request.args.get("old")), _version(page, request.args.get("new"))
    if old is None or new is None:
        latest = db.session.scalars(
            select(PageVersion)
            .where(PageVersion.page_id == page.id)
            .order_by(PageVersion.number.desc())
            .limit(2)
        ).all()
        if len(latest) < 2:
            flash(_("The page has only one version: there is nothing to compare yet."), "info")
            return redirect(url_for("pages.versions", page_id=page.id))
        new, old = latest[0], latest[1]
    if old.number > new.number:
        old, new = new, old
    return render_template(
        "pages/compare.html",
        page=page,
        old=old,
        new=new,
        title_lines=diff_lines(old.title, new.title),
        body_lines=diff_lines(old.body, new.body),
    )


@bp.route("/<int:page_id>/versions/<int:version_id>/restore", methods=["GET", "POST"])
@api.require_role(*WRITERS)
def restore(page_id: int, version_id: int) -> ResponseReturnValue:
    db = api.db()
    page = _own_page_to_edit(page_id)
    version = _version(page, str(version_id))
    if version is None:
        abort(404)
    form = api.ConfirmForm()
    if form.validate_on_submit():
        try:
            changed = services.restore_version(db, page, version, _user())
        except PageError as err:
            db.session.rollback()
            flash(err.message, "error")
        else:
            if changed:
                flash(_("Version %(num)d is brought back as a new version.", num=version.number), "success")
            else:
                flash(_("The page already has the text of version %(num)d.", num=version.number), "info")
            return redirect(url_for("pages.show", page_id=page.id))
    return render_template(
        "pages/confirm.html",
        form=form,
        page=page,
        heading=_("Bring back version %(num)d?", num=version.number),
        text=_(
            "The page gets the title and text of version %(num)d again, as a new version. The versions "
            "in between are kept.",
            num=version.number,
        ),
        button=_("Yes, bring it back"),
    )
