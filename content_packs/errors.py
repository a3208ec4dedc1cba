"""Domain errors for packs: every problem names the file, the field and, where known, the line."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a pack, located precisely enough for an author to fix it."""

    file: str
    field: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        field = f" [{self.field}]" if self.field else ""
        location = f"{where}{field}".strip()
        return f"{location}: {self.message}" if location else self.message


class PackError(Exception):
    """A pack that cannot be used; carries every problem found, not just the first."""

    def __init__(self, problems: list[Problem] | Problem | str):
        if isinstance(problems, str):
            problems = [Problem(file="", field="", message=problems)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


# Subclasses let the agent report *why* an install was refused (its `reported` state
# carries a reason) without parsing messages; the CLI treats them all as PackError.


class SignatureError(PackError):
    """The manifest is unsigned, signed by an untrusted key, or the signature is wrong."""


class IntegrityError(PackError):
    """A file's bytes do not match the signed manifest (tampered or truncated)."""


class UnsafePackError(PackError):
    """The archive or source folder tries something dangerous: escapes, links, devices, bombs."""


class DowngradeError(PackError):
    """The pack is older than (or the same as) the version already installed."""
