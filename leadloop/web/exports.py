"""The lead list's Export button: the leads on the list (its filters), as CSV or XLSX."""

from __future__ import annotations

import itertools
import tempfile

from django.http import FileResponse, HttpRequest, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.utils import timezone
from django.views.decorators.http import require_GET

from leadloop.leads.export import export_csv, export_leads
from leadloop.leads.selectors import filtered_leads
from leadloop.lib import pages, sheets
from leadloop.lib.pages import current_user, page
from leadloop.web.forms import LeadFilterForm


@require_GET
@page
def lead_export(request: HttpRequest) -> HttpResponseBase:
    user = current_user(request)
    form = LeadFilterForm(request.GET, user=user, tz=timezone.get_current_timezone())
    form.is_valid()
    leads = filtered_leads(user, form.filters())
    name = f"leads-{pages.clock():%Y%m%d-%H%M}"
    if request.GET.get("format") == "xlsx":
        table = export_leads(leads)
        # FileResponse closes (and so deletes) the spooled file once sent.
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
