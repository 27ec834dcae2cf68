"""`GET /api/v1/leads/export`: the leads you may see, filtered like the list, as CSV or XLSX.

CSV is streamed as it is read (a million leads in the memory of one chunk);
XLSX is written to a temporary file in constant memory first (a zip cannot
be streamed before its end is known) and then sent. The columns are what
`leadloop import leads FILE --mapping leadloop` reads back.
"""

from __future__ import annotations

import itertools
import tempfile
from typing import Annotated, Any, Literal

from django.core.exceptions import ValidationError
from django.http import FileResponse, HttpRequest, StreamingHttpResponse
from django.utils import timezone
from ninja import Query, Router

from leadloop.api.auth import caller
from leadloop.api.schemas import ERRORS, Id, UtcDateTime
from leadloop.leads.choices import Stage
from leadloop.leads.export import export_csv, export_leads
from leadloop.leads.selectors import LeadFilters, filtered_leads
from leadloop.lib import sheets

router = Router(tags=["leads"])


@router.get(
    "/export",
    response={200: None, **ERRORS},
    summary="Export the leads you may see (CSV or XLSX), with the list's filters",
)
def export(
    request: HttpRequest,
    format: Literal["csv", "xlsx"] = "csv",
    stage: str | None = Query(None, description="One stage or several, comma-separated"),
    owner: Id | None = None,
    sales_rep: Id | None = None,
    campaign: Id | None = None,
    team: Id | None = None,
    created_from: UtcDateTime | None = None,
    created_to: UtcDateTime | None = None,
    q: str | None = Query(None, max_length=200),
    lead_import: Annotated[
        Id | None, Query(alias="import", description="Leads an import made")
    ] = None,
) -> Any:
    unknown = sorted(set((stage or "").split(",")) - set(Stage.values) - {""})
    if unknown:
        raise ValidationError(
            {"stage": f"unknown stage {', '.join(unknown)}; one of: {', '.join(Stage.values)}"}
        )
    filters = LeadFilters(
        stage=stage,
        owner=owner,
        sales_rep=sales_rep,
        campaign=campaign,
        team=team,
        created_from=created_from,
        created_to=created_to,
        q=q,
        lead_import=lead_import,
    )
    leads = filtered_leads(caller(request), filters)
    name = f"leads-{timezone.now():%Y%m%d-%H%M}"
    if format == "xlsx":
        table = export_leads(leads)
        # FileResponse closes (and so deletes) it once sent.
        spool = tempfile.TemporaryFile()  # noqa: SIM115
        sheets.write_xlsx(spool, table.header, table.rows)
        spool.seek(0)
        return FileResponse(
            spool,
            as_attachment=True,
            filename=f"{name}.xlsx",
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    response = StreamingHttpResponse(
        itertools.chain(["\ufeff".encode()], export_csv(leads)),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    return response
