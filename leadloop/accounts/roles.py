"""Which Django permissions each role's group carries.

Permissions gate what a role may do at all; *which* leads a user sees is
decided by `leads.selectors.visible_leads`. No role but admin may write lead
data outside the app's actions: only admins reach the Django admin (they are
the only staff), and lead data is read-only there.
"""

from __future__ import annotations

from leadloop.accounts.choices import Role

VIEW_ALL_DATA = [
    "view_lead",
    "view_leadevent",
    "view_activity",
    "view_campaign",
    "view_sourcepolicy",
    "view_reasoncode",
    "view_handoff",
    "view_qualificationdefinition",
    "view_team",
]

ROLE_PERMISSIONS: dict[str, list[str]] = {
    Role.MARKETING: [
        *VIEW_ALL_DATA,
        "add_campaign",
        "change_campaign",
        "change_sourcepolicy",
        "add_sourcepolicy",
    ],
    Role.INSIDE_REP: [
        "view_lead",
        "view_activity",
        "view_campaign",
        "view_reasoncode",
        "view_qualificationdefinition",
    ],
    Role.SALES_REP: [
        "view_lead",
        "view_activity",
        "view_reasoncode",
        "view_handoff",
        "view_qualificationdefinition",
    ],
    Role.MANAGER: [
        *VIEW_ALL_DATA,
        "change_team",
        "change_sourcepolicy",
        "add_sourcepolicy",
        "add_territoryrule",
        "change_territoryrule",
        "delete_territoryrule",
        "add_reasoncode",
        "change_reasoncode",
        "add_qualificationdefinition",
        "change_qualificationdefinition",
    ],
    Role.ADMIN: ["*"],
}
