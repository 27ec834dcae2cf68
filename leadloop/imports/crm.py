"""The built-in mappings: the headers and status values of common CRMs' lead exports.

Each template lists, per leadloop target, the headers a CRM writes for it
(API names and report labels; compared without case, spaces or
punctuation), in priority order: when several of them are in one file, the
first non-empty value in that order wins (Phone before MobilePhone). A
target of None ignores the column (system fields no report needs). Headers a
template does not know become attributes (see `guess.mapping_for`).

Stage values follow the same idea: each CRM's usual statuses, by the
leadloop stage they become; None means rows with that value are not
imported (spam, deleted records). A Salesforce lead "Closed - Converted"
turned into an opportunity there, so it is an opportunity here; a HubSpot
customer is won.
"""

from __future__ import annotations

from dataclasses import dataclass

from leadloop.imports.fields import IMPORT_STAGES, header_key, value_key
from leadloop.leads.choices import Stage


@dataclass(frozen=True)
class Template:
    name: str
    # target (or None: ignore) -> headers, in priority order
    columns: dict[str | None, tuple[str, ...]]
    # leadloop stage (or None: skip the row) -> source values
    stages: dict[str | None, tuple[str, ...]]

    def targets(self) -> dict[str, tuple[str | None, int]]:
        """header key -> (target, priority), for looking headers up."""
        found: dict[str, tuple[str | None, int]] = {}
        for target, headers in self.columns.items():
            for priority, header in enumerate(headers):
                found.setdefault(header_key(header), (target, priority))
        return found

    def stage_targets(self) -> dict[str, str | None]:
        """value key -> stage (None: skip), for looking values up."""
        return {
            value_key(value): None if stage is None else str(stage)
            for stage, values in self.stages.items()
            for value in values
        }


SALESFORCE = Template(
    name="salesforce",
    columns={
        "attributes.salesforce_id": ("Id", "Lead ID", "Contact ID"),
        "attributes.salutation": ("Salutation",),
        "first_name": ("FirstName", "First Name"),
        "last_name": ("LastName", "Last Name"),
        "full_name": ("Name", "Full Name"),
        "title": ("Title",),
        "company": ("Company", "Company / Account", "Account Name", "Account"),
        "email": ("Email",),
        "phone": ("Phone", "MobilePhone", "Mobile", "Mobile Phone"),
        "attributes.fax": ("Fax",),
        "attributes.website": ("Website",),
        "campaign": ("LeadSource", "Lead Source"),
        "stage": ("Status", "Lead Status"),
        "industry": ("Industry",),
        "attributes.rating": ("Rating",),
        "revenue_band": ("AnnualRevenue", "Annual Revenue"),
        "employees": ("NumberOfEmployees", "Employees", "No. of Employees"),
        "country": ("Country", "CountryCode", "Country Code"),
        "region": ("State", "State/Province", "StateCode", "State/Province Code", "State Code"),
        "attributes.city": ("City",),
        "attributes.street": ("Street", "Address", "Address Line 1"),
        "attributes.postal_code": ("PostalCode", "Zip/Postal Code", "Postal Code", "Zip"),
        "note": ("Description",),
        "created_at": ("CreatedDate", "Created Date", "Create Date"),
        "owner": ("Lead Owner", "Owner Name", "Owner", "Owner Full Name", "OwnerId", "Owner ID"),
        "attributes.email_opt_out": ("HasOptedOutOfEmail", "Email Opt Out"),
        "attributes.do_not_call": ("DoNotCall", "Do Not Call"),
        "attributes.converted_date": ("ConvertedDate", "Converted Date"),
        "attributes.last_activity": ("LastActivityDate", "Last Activity"),
        None: (
            "IsConverted",
            "Converted",
            "IsDeleted",
            "MasterRecordId",
            "IsUnreadByOwner",
            "Unread By Owner",
            "CreatedById",
            "Created By",
            "LastModifiedDate",
            "Last Modified Date",
            "LastModifiedById",
            "Last Modified By",
            "SystemModstamp",
            "LastViewedDate",
            "LastReferencedDate",
            "LastTransferDate",
            "ConvertedAccountId",
            "ConvertedContactId",
            "ConvertedOpportunityId",
            "Jigsaw",
            "JigsawContactId",
            "CleanStatus",
            "CompanyDunsNumber",
            "DandbCompanyId",
            "EmailBouncedReason",
            "EmailBouncedDate",
            "IndividualId",
            "PhotoUrl",
            "Latitude",
            "Longitude",
            "GeocodeAccuracy",
        ),
    },
    stages={
        Stage.NEW: ("Open - Not Contacted", "New", "Open", "Not Contacted"),
        Stage.WORKING: (
            "Working - Contacted",
            "Contacted",
            "Working",
            "Attempting Contact",
            "Attempted to Contact",
            "In Progress",
        ),
        Stage.OPPORTUNITY: ("Closed - Converted", "Converted", "Qualified"),
        Stage.DISQUALIFIED: ("Closed - Not Converted", "Unqualified", "Disqualified"),
        Stage.NURTURE: ("Nurturing", "Nurture", "Recycled"),
        Stage.UNREACHABLE: ("Unreachable", "No Response"),
        Stage.WON: ("Closed Won", "Closed - Won"),
        Stage.LOST: ("Closed Lost", "Closed - Lost"),
        None: ("Junk", "Spam"),
    },
)

HUBSPOT = Template(
    name="hubspot",
    columns={
        "attributes.hubspot_id": ("Record ID", "Contact ID", "hs_object_id", "vid"),
        "first_name": ("First Name", "firstname"),
        "last_name": ("Last Name", "lastname"),
        "email": ("Email", "Work email", "email"),
        "phone": ("Phone Number", "phone", "Mobile Phone Number", "mobilephone"),
        "company": ("Company Name", "company", "Associated Company", "Associated Company Name"),
        "title": ("Job Title", "jobtitle"),
        "owner": ("Contact owner", "HubSpot Owner", "hubspot_owner_id"),
        # The lead status says more about a lead being worked; the lifecycle
        # stage fills in when a contact has no lead status.
        "stage": ("Lead Status", "hs_lead_status", "Lifecycle Stage", "lifecyclestage"),
        "created_at": ("Create Date", "createdate"),
        "campaign": (
            "Original Source",
            "Original Traffic Source",
            "hs_analytics_source",
            "Latest Source",
            "Latest Traffic Source",
        ),
        "attributes.source_detail": (
            "Original Source Drill-Down 1",
            "Original Traffic Source Drill-Down 1",
            "hs_analytics_source_data_1",
        ),
        "country": ("Country/Region", "country", "Country"),
        "region": ("State/Region", "state"),
        "attributes.city": ("City", "city"),
        "attributes.postal_code": ("Postal Code", "zip"),
        "attributes.street": ("Street Address", "address"),
        "industry": ("Industry", "industry"),
        "employees": ("Number of Employees", "numemployees", "Company size"),
        "revenue_band": ("Annual Revenue", "annualrevenue"),
        "attributes.website": ("Website URL", "website"),
        "note": ("Message", "message"),
        "attributes.hubspot_score": ("HubSpot Score", "hubspotscore"),
        "attributes.persona": ("Persona", "hs_persona"),
        "attributes.marketing_contact_status": ("Marketing contact status",),
        "attributes.last_activity": ("Last Activity Date", "notes_last_updated"),
        None: (
            "Last Modified Date",
            "lastmodifieddate",
            "Email Domain",
            "Number of Associated Deals",
            "Associated Deals",
            "Associated Company ID",
            "Recent Deal Amount",
            "Total Revenue",
        ),
    },
    stages={
        Stage.NEW: (
            "NEW",
            "OPEN",
            "lead",
            "marketingqualifiedlead",
            "Marketing Qualified Lead",
            "MQL",
        ),
        Stage.WORKING: ("IN_PROGRESS", "ATTEMPTED_TO_CONTACT", "CONNECTED"),
        Stage.OPPORTUNITY: (
            "OPEN_DEAL",
            "opportunity",
            "salesqualifiedlead",
            "Sales Qualified Lead",
            "SQL",
        ),
        Stage.DISQUALIFIED: ("UNQUALIFIED",),
        Stage.NURTURE: ("BAD_TIMING", "subscriber", "other"),
        Stage.WON: ("customer", "evangelist"),
    },
)

PIPEDRIVE = Template(
    name="pipedrive",
    columns={
        "attributes.pipedrive_id": ("Lead - ID", "Person - ID", "ID"),
        "attributes.lead_title": ("Lead - Title",),
        "first_name": ("Person - First name", "First name"),
        "last_name": ("Person - Last name", "Last name"),
        "full_name": ("Person - Name", "Name", "Contact person", "Lead - Contact person"),
        "email": (
            "Person - Email - Work",
            "Person - Email",
            "Person - Email - Home",
            "Person - Email - Other",
            "Email - Work",
            "Email",
            "Email - Home",
            "Email - Other",
        ),
        "phone": (
            "Person - Phone - Work",
            "Person - Phone",
            "Person - Phone - Mobile",
            "Person - Phone - Home",
            "Person - Phone - Other",
            "Phone - Work",
            "Phone",
            "Phone - Mobile",
            "Phone - Home",
            "Phone - Other",
        ),
        "company": (
            "Person - Organization",
            "Organization - Name",
            "Lead - Organization",
            "Organization",
        ),
        "title": ("Person - Job title", "Job title"),
        "owner": ("Lead - Owner", "Person - Owner", "Owner"),
        "created_at": (
            "Lead - Lead created",
            "Lead - Created",
            "Lead created",
            "Person - Person created",
            "Person created",
        ),
        "campaign": ("Lead - Source", "Lead - Source origin", "Lead - Source channel", "Source"),
        "attributes.labels": ("Lead - Labels", "Person - Labels", "Person - Label", "Labels"),
        "stage": ("Lead - Status", "Lead - Archived status", "Deal - Status", "Status"),
        "attributes.value": ("Lead - Value", "Deal - Value"),
        "attributes.expected_close_date": ("Lead - Expected close date",),
        "country": (
            "Organization - Address - Country",
            "Person - Postal address - Country",
            "Organization - Address - Country/region",
        ),
        "region": (
            "Organization - Address - State/County",
            "Organization - Address - Region",
            "Person - Postal address - State/County",
        ),
        "attributes.city": (
            "Organization - Address - City/town/village/locality",
            "Person - Postal address - City/town/village/locality",
        ),
        "industry": ("Organization - Industry",),
        "employees": ("Organization - Number of employees", "Organization - Employee count"),
        "revenue_band": ("Organization - Annual revenue",),
        "reason_code": ("Lead - Lost reason", "Deal - Lost reason", "Lost reason"),
        "note": ("Lead - Note", "Person - Note", "Note"),
        None: (
            "Lead - Visible to",
            "Person - Visible to",
            "Lead - Update time",
            "Person - Update time",
            "Lead - Next activity date",
            "Person - Next activity date",
            "Person - Last activity date",
            "Person - Open deals",
            "Person - Closed deals",
            "Person - Won deals",
            "Person - Lost deals",
            "Person - Email messages count",
            "Person - Activities to do",
            "Person - Done activities",
            "Person - Total activities",
            "Lead - Currency",
        ),
    },
    stages={
        Stage.NEW: ("open", "Not archived", "active"),
        Stage.OPPORTUNITY: ("converted", "Converted to deal"),
        Stage.WON: ("won",),
        Stage.LOST: ("lost",),
        Stage.DISQUALIFIED: ("archived",),
        None: ("deleted",),
    },
)

_EXPORT_COLUMNS = (
    "created_at", "stage", "first_name", "last_name", "title", "email", "phone", "company",
    "industry", "employees", "revenue_band", "country", "region", "campaign", "owner",
    "sales_rep", "reason_code", "note",
)  # fmt: skip

# leadloop's own export. Its stages that an import cannot recreate (they need a
# handoff or a meeting on record) come back at the nearest stage it can.
LEADLOOP = Template(
    name="leadloop",
    columns={
        None: ("id", "channel", "score", "score_probability", "tier", "priority"),
        **{field: (field,) for field in _EXPORT_COLUMNS},
    },
    stages={
        **{stage: (stage,) for stage in IMPORT_STAGES},
        Stage.OPPORTUNITY: (
            Stage.OPPORTUNITY,
            Stage.HANDED_OFF,
            Stage.ACCEPTED,
            Stage.MEETING_HELD,
            Stage.NO_SHOW,
        ),
        Stage.WORKING: (Stage.WORKING, Stage.REJECTED, Stage.RECYCLED),
        None: (Stage.DUPLICATE,),
    },
)

TEMPLATES: dict[str, Template] = {t.name: t for t in (SALESFORCE, HUBSPOT, PIPEDRIVE, LEADLOOP)}
