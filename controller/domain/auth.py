"""Who is calling: tokens, roles and region scopes (分级 — province → city → district → community)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from sqlite_utils import Database

from controller.errors import Forbidden, Invalid, Unauthorized

# Ordered: each role may do everything the roles before it may.
ROLES = ("viewer", "technician", "reviewer", "admin")
DEVICE = "device"


def in_scope(scope: str, region: str) -> bool:
    """Whether `region` lies in the subtree rooted at `scope` ("" is the root, containing all)."""
    return scope == "" or region == scope or region.startswith(scope + "/")


def check_region(region: str) -> str:
    """Normalise a region path like `guangdong/shenzhen/nanshan/yuehai`; Invalid if malformed."""
    if not isinstance(region, str):
        raise Invalid("region must be a path like province/city/district/community")
    region = region.strip().strip("/")
    parts = region.split("/") if region else []
    if len(parts) > 4 or any(not p.strip() or len(p) > 64 for p in parts):
        raise Invalid(f"region {region!r} must be up to four non-empty parts: province/city/district/community")
    return region


@dataclass(frozen=True)
class Principal:
    """An authenticated caller: a user with a role and a region scope, or one exhibit (device)."""

    id: str
    role: str
    region: str = ""
    exhibit: str | None = None

    @property
    def level(self) -> int:
        return ROLES.index(self.role) if self.role in ROLES else -1

    def sees(self, region: str) -> bool:
        """Whether this caller may read things in `region`."""
        return self.level >= 0 and in_scope(self.region, region)

    def reached_by(self, region: str) -> bool:
        """Whether something aimed at `region` reaches this caller's exhibits: inside their scope,
        or a wider region containing it (a city-wide broadcast plays in every district)."""
        return self.level >= 0 and (in_scope(self.region, region) or in_scope(region, self.region))

    def require(self, role: str, region: str | None = None) -> None:
        """Raise Forbidden unless the caller has at least `role` over `region` (None: any region)."""
        if self.level < ROLES.index(role):
            raise Forbidden(f"this needs the {role} role; {self.id} is {self.role}")
        if region is not None and not in_scope(self.region, region):
            raise Forbidden(f"{region or 'the whole country'} is outside {self.id}'s region {self.region!r}")


def hash_token(token: str) -> str:
    """Tokens are stored hashed: a leaked database does not leak credentials."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(32)


def authenticate(db: Database, token: str | None, admin_token: str | None) -> Principal:
    """The caller a bearer token belongs to; Unauthorized if none or unknown."""
    if not token:
        raise Unauthorized("missing token: send Authorization: Bearer TOKEN")
    if admin_token and hmac.compare_digest(token.encode(), admin_token.encode()):
        return Principal(id="admin", role="admin", region="")
    return authenticate_hash(db, hash_token(token))


def authenticate_hash(db: Database, token_hash: str) -> Principal:
    """The caller behind a stored token hash (a dashboard session keeps only that); Unauthorized if revoked."""
    row = db.execute(
        "SELECT t.user, t.exhibit, u.role, u.region FROM tokens t LEFT JOIN users u ON u.id = t.user"
        " WHERE t.hash = ? AND t.revoked IS NULL",
        [token_hash],
    ).fetchone()
    if row is None:
        raise Unauthorized("unknown or revoked token")
    user, exhibit, role, region = row
    if exhibit:
        return Principal(id=f"device:{exhibit}", role=DEVICE, exhibit=exhibit)
    if role is None:
        raise Unauthorized("the token's user no longer exists")
    return Principal(id=user, role=role, region=region)


def issue_token(db: Database, now: float, user: str | None = None, exhibit: str | None = None, label: str = "") -> str:
    """Create a token for a user or a device; only its hash is stored, the token is returned once."""
    token = new_token()
    db.table("tokens").insert(
        {"hash": hash_token(token), "user": user, "exhibit": exhibit, "label": label, "created": now, "revoked": None},
        pk="hash",
    )
    return token
