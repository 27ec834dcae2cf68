"""Write the schemathesis configuration for `.ci/fuzz-api`: real ids of the seeded demo.

Run through `leadloop shell`; the first argument in FUZZ_CONFIG is the file to write.
Path parameters draw from these ids nine times in ten, so the fuzzer reaches the
code behind a found object, not only the 404 of an id that does not exist.
"""

import json
import os

from leadloop.accounts.models import Team
from leadloop.campaigns.models import SourcePolicy
from leadloop.followup.models import CadenceTask, CadenceTemplate
from leadloop.leads.models import Lead
from leadloop.notifications.models import Notification
from leadloop.reports.registry import REPORTS

stages = Lead.objects.order_by().values_list("stage", flat=True).distinct()
leads = [
    pk
    for stage in stages
    for pk in Lead.objects.filter(stage=stage).order_by("-pk").values_list("pk", flat=True)[:5]
]
ids = {
    "lead_id": leads,
    "task_id": list(CadenceTask.objects.order_by("-pk").values_list("pk", flat=True)[:20]),
    "notification_id": list(
        Notification.objects.filter(user__username="admin").values_list("pk", flat=True)[:20]
    ),
    "team_id": list(Team.objects.values_list("pk", flat=True)),
    "policy_id": list(SourcePolicy.objects.values_list("pk", flat=True)),
    "template_id": list(CadenceTemplate.objects.values_list("pk", flat=True)),
    "name": list(REPORTS),
}
lines = []
for name, values in ids.items():
    if values:
        lines += [f"[dictionaries.{name}]", f"values = {json.dumps(values)}", ""]
lines.append("[parameters]")
for name, values in ids.items():
    if values:
        lines.append(f'"path.{name}" = {{ dictionary = "{name}", probability = 0.9 }}')
with open(os.environ["FUZZ_CONFIG"], "w", encoding="utf-8") as out:
    out.write("\n".join(lines) + "\n")
print(f"real ids for {', '.join(f'{k} ({len(v)})' for k, v in ids.items())}")
