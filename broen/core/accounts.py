"""Operations on municipalities, users, roles and plugin state, shared by the CLI, demo data and tests."""

from __future__ import annotations

import re

from sqlalchemy import select

from broen.core import audit
from broen.core.db import Database
from broen.core.models import Membership, Municipality, PluginState, Role, User
from broen.core.passwords import hash_password

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,39}$")
#: Path segments a municipality slug may not take, or its URLs would shadow broen's own.
RESERVED_SLUGS = frozenset(
    {"admin", "login", "logout", "me", "static", "feeds", "healthz", "readyz", "metrics", "public"}
)


class AccountError(ValueError):
    """A rule about municipalities or users was broken; the message says which and why."""


def create_municipality(
    db: Database, slug: str, name: str, timezone: str = "Europe/Copenhagen"
) -> Municipality:
    if not SLUG.match(slug) or slug in RESERVED_SLUGS:
        raise AccountError(
            f"slug {slug!r}: use 2-40 lower-case letters, digits or hyphens, not a reserved word"
        )
    if db.session.scalar(select(Municipality).where(Municipality.slug == slug)) is not None:
        raise AccountError(f"slug {slug!r}: a municipality with that short name exists")
    municipality = Municipality(slug=slug, name=name, timezone=timezone)
    db.session.add(municipality)
    db.session.commit()
    return municipality


def create_user(
    db: Database,
    email: str,
    name: str,
    password: str,
    *,
    language: str = "da",
    installation_admin: bool = False,
) -> User:
    email = email.strip().lower()
    if db.session.scalar(select(User).where(User.email == email)) is not None:
        raise AccountError(f"{email}: a user with that e-mail exists")
    if len(password) < 10:
        raise AccountError("password: use at least 10 characters")
    user = User(
        email=email,
        name=name,
        password_hash=hash_password(password),
        language=language,
        is_installation_admin=installation_admin,
    )
    db.session.add(user)
    db.session.commit()
    return user


def grant_role(db: Database, user: User, municipality: Municipality, role: Role) -> Membership:
    """Give `user` `role` in `municipality` (replacing a role they had there)."""
    membership = db.session.scalar(
        select(Membership).where(Membership.user_id == user.id, Membership.municipality_id == municipality.id)
    )
    if membership is None:
        membership = Membership(user=user, municipality_id=municipality.id, role=role)
        db.session.add(membership)
    membership.role = role
    db.session.commit()
    return membership


def set_plugin_enabled(
    db: Database, municipality: Municipality, plugin: str, enabled: bool, by: User | None = None
) -> None:
    state = db.session.scalar(
        select(PluginState).where(
            PluginState.municipality_id == municipality.id, PluginState.plugin == plugin
        )
    )
    if state is None:
        state = PluginState(municipality_id=municipality.id, plugin=plugin, settings={})
        db.session.add(state)
    state.enabled = enabled
    audit.record(
        db,
        audit.UPDATE,
        "plugin_state",
        None,
        by=by,
        municipality_id=municipality.id,
        plugin=plugin,
        enabled=enabled,
    )
    db.session.commit()
