"""Reads about imports: whose imports a user sees, the rows a run could not import."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.db.models import Q, QuerySet

from leadloop.accounts.choices import Role
from leadloop.accounts.models import User
from leadloop.accounts.selectors import has_role, managed_team_ids
from leadloop.imports.models import ImportProblem, LeadImport


def visible_imports(user: User) -> QuerySet[LeadImport]:
    """Her own imports; a manager's teams' too; all of them for admins and marketing."""
    imports = LeadImport.objects.select_related("campaign", "team", "created_by")
    if has_role(user, Role.ADMIN, Role.MARKETING):
        return imports
    seen = Q(created_by=user)
    if has_role(user, Role.MANAGER):
        teams = managed_team_ids(user)
        seen |= Q(team_id__in=teams) | Q(team__isnull=True, campaign__team_id__in=teams)
    return imports.filter(seen)


def error_rows(lead_import: LeadImport, *, dry_run: bool) -> tuple[list[str], Iterator[list[Any]]]:
    """The rows with problems as the file had them, after a line, column and problem column.

    Fix them in a spreadsheet and import this file again: the first three
    columns are not mapped by any built-in mapping and are left out.
    """
    header = ["line", "column", "problem", *lead_import.header]

    def rows() -> Iterator[list[Any]]:
        current: list[Any] | None = None
        problems = (
            ImportProblem.objects.filter(lead_import=lead_import, dry_run=dry_run)
            .order_by("line", "id")
            .values_list("line", "column", "message", "cells")
            .iterator(chunk_size=2000)
        )
        for line, column, message, cells in problems:
            if current is not None and current[0] == line:
                current[1] = "; ".join(filter(None, [current[1], column]))
                current[2] = f"{current[2]}; {message}"
                continue
            if current is not None:
                yield current
            current = [line, column, message, *(cells or [])]
        if current is not None:
            yield current

    return header, rows()
