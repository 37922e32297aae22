"""The input to the introspection engine: one catalog relation's current contents."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pymz.repr import Column


@dataclass(frozen=True)
class RelationSnapshot:
    """One relation's contents at the moment of a query.

    ``version``, when set by the caller, lets the engine skip reloading a relation whose
    (schema, name, version) it has already loaded; without it the engine compares contents.
    Rows hold Python values per the conventions in :mod:`pymz.repr.types`.
    """

    schema: str
    name: str
    columns: tuple[Column, ...]
    rows: Sequence[tuple[object, ...]]
    version: int | None = None

    @property
    def qualified_name(self) -> str:
        return f"{self.schema}.{self.name}"
