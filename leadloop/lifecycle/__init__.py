"""The actions layer: every write to a lead and its satellites goes through here.

One action is one transaction: it locks the lead (`locks`), checks the
lifecycle table (`leads.states`), who may act (`leads.permissions`) and the
data (`inputs`), applies small pure effect functions (`effects`), saves,
appends its events (`events`, one builder per kind), tells whoever it
concerns (`news`) and queues its side effects for after commit (`outbox`).
Domain apps below (leads, outreach, handoff, followup, sla, notifications,
accounts, campaigns) hold models, rules and selectors and never call each
other's writes; the web pages, the API, the admin, the tick and the CLI
above only translate into these actions. See docs/architecture.md.
"""
