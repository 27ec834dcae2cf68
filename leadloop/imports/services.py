"""Keeping lead files and their imports: the upload, the mapping, who may import for whom.

An import is prepared here (the file stored and read once for its header
and a sample, the mapping guessed or given, the campaign and team chosen)
and run by `lifecycle.imports`, the action that writes leads. Everything a
file or mapping can get wrong is found here, before a row is written: an
empty or binary file, a missing sheet, a mapping naming a column the file
lacks, a stage value with no target.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction

from leadloop.accounts.choices import Role, TeamKind
from leadloop.accounts.models import Team, User
from leadloop.accounts.selectors import has_role, managed_team_ids
from leadloop.campaigns.choices import Channel
from leadloop.campaigns.models import Campaign
from leadloop.imports.guess import mapping_for
from leadloop.imports.mapping import Mapping, MappingError, dump_mapping, load_mapping
from leadloop.imports.models import ImportState, LeadImport, OnError
from leadloop.imports.plan import Plan, PlanError, resolve, typed
from leadloop.imports.reading import ReadError
from leadloop.imports.sampling import Sample, distinct_values, sample
from leadloop.imports.values import DATE_ORDERS
from leadloop.lib.errors import NotPermitted

log = logging.getLogger("leadloop.imports")

BUILT_IN = ("auto", "salesforce", "hubspot", "pipedrive", "leadloop")
IMPORT_ROLES = (Role.ADMIN, Role.MARKETING, Role.MANAGER)
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class Stored:
    """A file kept under IMPORTS_DIR for its import."""

    name: str
    size: int
    sha256: str

    @property
    def path(self) -> Path:
        return Path(settings.IMPORTS_DIR) / self.name


def file_path(lead_import: LeadImport) -> Path:
    return Path(settings.IMPORTS_DIR) / lead_import.stored_name


def may_import(user: User, team: Team | None = None) -> bool:
    """Admins and marketing import for any team, a manager for the teams she manages."""
    if not user.is_active or not has_role(user, *IMPORT_ROLES):
        return False
    if has_role(user, Role.ADMIN, Role.MARKETING) or team is None:
        return True
    return team.pk in managed_team_ids(user)


def import_team(lead_import: LeadImport) -> Team | None:
    """The team whose reps get the import's open rows: its own, or its campaign's."""
    if lead_import.team is not None:
        return lead_import.team
    return lead_import.campaign.team if lead_import.campaign is not None else None


def store_file(source: IO[bytes], *, file_name: str) -> Stored:
    """Copy an upload (or a local file) under IMPORTS_DIR, hashing it on the way.

    Streamed in 1 MiB pieces, so a file larger than memory is fine; one over
    IMPORT_MAX_BYTES is refused and nothing is kept.
    """
    folder = Path(settings.IMPORTS_DIR)
    folder.mkdir(parents=True, exist_ok=True)
    limit = settings.IMPORT_MAX_BYTES
    digest = hashlib.sha256()
    size = 0
    with tempfile.NamedTemporaryFile(dir=folder, prefix=".upload-", delete=False) as out:
        try:
            while piece := source.read(1 << 20):
                size += len(piece)
                if size > limit:
                    raise ValidationError(
                        {
                            "file": f"the file is larger than {limit // (1 << 20)} MiB; split "
                            "it, or raise IMPORT_MAX_BYTES"
                        }
                    )
                digest.update(piece)
                out.write(piece)
        except BaseException:
            out.close()
            Path(out.name).unlink(missing_ok=True)
            raise
    if size == 0:
        Path(out.name).unlink(missing_ok=True)
        raise ValidationError({"file": "the file is empty: export the leads again, with rows"})
    sha = digest.hexdigest()
    suffix = _UNSAFE.sub("-", Path(file_name).suffix.lower())[:10]
    name = f"{sha[:16]}-{secrets.token_hex(4)}{suffix}"
    Path(out.name).replace(folder / name)
    return Stored(name=name, size=size, sha256=sha)


def store_path(path: Path) -> Stored:
    with path.open("rb") as source:
        return store_file(source, file_name=path.name)


def _read(path: Path, sheet: str | None) -> Sample:
    try:
        return sample(path, sheet=sheet or None)
    except ReadError as exc:
        raise ValidationError({"file": str(exc)}) from None


def _mapping(given: str | dict[str, Any] | Mapping, found: Sample) -> Mapping:
    """The mapping chosen for a file: a built-in one made for it, or the one given with
    the kinds it leaves out inferred from the file's sample."""
    if isinstance(given, str) and given.strip().lower() in BUILT_IN:
        return mapping_for(given.strip().lower(), found.header, found)
    return typed(given if isinstance(given, Mapping) else _load(given), found.header, found)


def default_team() -> Team | None:
    """The teleprospecting team, when there is exactly one (a new campaign needs a team)."""
    teams = list(Team.objects.filter(kind=TeamKind.TELEPROSPECTING)[:2])
    return teams[0] if len(teams) == 1 else None


def create_import(
    *,
    stored: Stored,
    file_name: str,
    actor: User | None,
    now: datetime,
    mapping: str | dict[str, Any] | Mapping = "auto",
    campaign: Campaign | None = None,
    campaign_name: str = "",
    channel: str = Channel.OTHER,
    team: Team | None = None,
    sheet: str = "",
    date_order: str = "",
    on_error: str = OnError.SKIP,
    update_existing: bool = False,
) -> LeadImport:
    """A new import of a stored file: read once (header, sample), mapped, not yet run."""
    if actor is not None and not may_import(actor, team or (campaign.team if campaign else None)):
        raise NotPermitted(f"{actor} may not import leads for that team")
    _check_options(date_order=date_order, on_error=on_error, channel=channel)
    if campaign is None:
        campaign_name = " ".join(campaign_name.split())
        campaign = Campaign.objects.filter(name__iexact=campaign_name).first()
        if campaign is None and campaign_name and (team or default_team()) is None:
            raise ValidationError(
                {
                    "team": f"the campaign '{campaign_name}' is new and needs a team: choose "
                    "the teleprospecting team whose reps work its leads"
                }
            )
    found = _read(stored.path, sheet)
    chosen = _mapping(mapping, found)
    name = mapping if isinstance(mapping, str) and mapping.lower() in BUILT_IN else "file"
    lead_import = LeadImport.objects.create(
        created_by=actor,
        created_at=now,
        updated_at=now,
        file_name=Path(file_name).name[:255] or "leads",
        stored_name=stored.name,
        file_size=stored.size,
        bytes_total=stored.size,
        file_sha256=stored.sha256,
        format=found.format,
        encoding=found.encoding or "",
        delimiter=found.delimiter or "",
        sheet=found.sheet or "",
        header=found.header,
        mapping=dump_mapping(chosen),
        mapping_name=str(name).lower(),
        campaign=campaign,
        campaign_name=campaign_name if campaign is None else "",
        channel=channel,
        team=team,
        date_order=date_order,
        on_error=on_error,
        update_existing=update_existing,
    )
    log.info(
        "import created",
        extra={"import": lead_import.pk, "file": lead_import.file_name, "size": stored.size},
    )
    return lead_import


def _check_options(*, date_order: str, on_error: str, channel: str = Channel.OTHER) -> None:
    if channel not in Channel.values:
        raise ValidationError({"channel": f"one of {', '.join(Channel.values)}"})
    if date_order and date_order not in DATE_ORDERS:
        raise ValidationError({"date_order": f"one of {', '.join(DATE_ORDERS)}"})
    if on_error not in OnError.values:
        raise ValidationError({"on_error": f"one of {', '.join(OnError.values)}"})


def configure(
    lead_import: LeadImport,
    *,
    actor: User | None,
    now: datetime,
    mapping: dict[str, Any] | Mapping | str | None = None,
    campaign: Campaign | None = None,
    campaign_name: str | None = None,
    channel: str | None = None,
    team: Team | None = None,
    date_order: str | None = None,
    on_error: str | None = None,
    update_existing: bool | None = None,
) -> LeadImport:
    """Change an import that has not started: its mapping, campaign, team or options.

    `campaign_name` names a campaign to make when the import runs (with `channel`).
    """
    if lead_import.state not in (ImportState.UPLOADED, ImportState.CHECKED) and not (
        lead_import.state == ImportState.FAILED and lead_import.last_line == 0
    ):
        raise ValidationError({"import": f"import {lead_import.pk} has started; start a new one"})
    target_team = team or lead_import.team or (campaign.team if campaign else None)
    if actor is not None and not may_import(actor, target_team):
        raise NotPermitted(f"{actor} may not import leads for that team")
    _check_options(
        date_order=date_order if date_order is not None else lead_import.date_order,
        on_error=on_error if on_error is not None else lead_import.on_error,
        channel=channel if channel is not None else lead_import.channel or Channel.OTHER,
    )
    with transaction.atomic():
        if mapping is not None:
            found = _read(file_path(lead_import), lead_import.sheet)
            lead_import.mapping = dump_mapping(_mapping(mapping, found))
            name = mapping.strip().lower() if isinstance(mapping, str) else ""
            lead_import.mapping_name = name if name in BUILT_IN else "custom"
        if campaign is not None:
            lead_import.campaign = campaign
            lead_import.campaign_name = ""
        elif campaign_name:
            name = " ".join(campaign_name.split())
            existing = Campaign.objects.filter(name__iexact=name).first()
            lead_import.campaign = existing
            lead_import.campaign_name = "" if existing else name
            if existing is None and (team or lead_import.team or default_team()) is None:
                raise ValidationError(
                    {"team": f"the campaign '{name}' is new and needs a team: choose one"}
                )
        if channel is not None:
            lead_import.channel = channel
        if team is not None:
            lead_import.team = team
        if date_order is not None:
            lead_import.date_order = date_order
        if on_error is not None:
            lead_import.on_error = on_error
        if update_existing is not None:
            lead_import.update_existing = update_existing
        # A changed import is checked again before it runs.
        lead_import.state = ImportState.UPLOADED
        lead_import.checked = {}
        lead_import.updated_at = now
        lead_import.save()
    return lead_import


def _load(mapping: Any) -> Mapping:
    try:
        return load_mapping(mapping)
    except MappingError as exc:
        raise ValidationError({"mapping": exc.problems}) from None


def stage_columns(lead_import: LeadImport) -> list[str]:
    columns = lead_import.mapping.get("columns", {})
    return [c for c, target in columns.items() if target == "stage" and c in lead_import.header]


def owner_columns(lead_import: LeadImport) -> list[str]:
    columns = lead_import.mapping.get("columns", {})
    return [
        c
        for c, target in columns.items()
        if target in ("owner", "sales_rep") and c in lead_import.header
    ]


def values_in_file(lead_import: LeadImport, columns: Iterable[str]) -> dict[str, int]:
    """The distinct values of some columns over the whole file, with their counts."""
    columns = list(columns)
    if not columns:
        return {}
    try:
        found = distinct_values(file_path(lead_import), columns, sheet=lead_import.sheet or None)
    except (ReadError, KeyError) as exc:
        raise ValidationError({"file": str(exc)}) from None
    merged: dict[str, int] = {}
    for column in found.values():
        for value, count in column.counts.items():
            merged[value] = merged.get(value, 0) + count
    return merged


def plan_for(lead_import: LeadImport, *, with_sample: bool = False) -> Plan:
    """The import's mapping checked against its whole file; ValidationError lists the problems.

    The stage values are read from every row (one pass), so a value with no
    target is found before the first lead is written.
    """
    mapping = _load(lead_import.mapping)
    stage_values = values_in_file(lead_import, stage_columns(lead_import))
    found = _read(file_path(lead_import), lead_import.sheet) if with_sample else None
    try:
        return resolve(mapping, list(lead_import.header), stage_values=stage_values, sample=found)
    except PlanError as exc:
        raise ValidationError({"mapping": exc.problems}) from None
