"""The default reason codes: (kind, code, label, out_of_target)."""

from __future__ import annotations

DEFAULT_REASON_CODES: list[tuple[str, str, str, bool]] = [
    ("disqualify", "no_budget", "No budget", False),
    ("disqualify", "not_decision_maker", "Not the decision maker", False),
    ("disqualify", "no_need", "No need", False),
    ("disqualify", "timing", "Timing (not within 6 months)", False),
    ("disqualify", "out_of_target", "Out of target market", True),
    ("disqualify", "competitor", "Uses a competitor", False),
    ("disqualify", "existing_customer", "Existing customer", False),
    ("disqualify", "duplicate", "Duplicate", False),
    ("disqualify", "bad_contact_data", "Bad contact data", False),
    ("disqualify", "student_or_job_seeker", "Student or job seeker", True),
    ("reject", "not_qualified", "Not qualified (criteria not met)", False),
    ("reject", "not_decision_maker", "Not the decision maker", False),
    ("reject", "out_of_target", "Out of target market", True),
    ("reject", "existing_opportunity", "Already an open opportunity", False),
    ("reject", "wrong_territory", "Wrong territory or rep", False),
    ("reject", "poor_write_up", "Write-up incomplete", False),
    ("reject", "duplicate", "Duplicate", False),
    ("lose", "price", "Price", False),
    ("lose", "competitor", "Lost to a competitor", False),
    ("lose", "no_decision", "No decision / status quo", False),
    ("lose", "no_budget", "Budget cut", False),
    ("lose", "product_fit", "Product fit", False),
    ("lose", "timing", "Timing", False),
    ("lose", "unresponsive", "Prospect stopped responding", False),
    # A manager marking a lead unreachable before the attempt policy is used up.
    ("unreachable", "wrong_number", "Every number is wrong or dead", False),
    ("unreachable", "left_company", "Left the company", False),
    ("unreachable", "do_not_contact", "Asked not to be contacted", False),
    ("unreachable", "no_contact_data", "No usable contact data", False),
    # An imported closed lead whose file gave no reason: counted, not guessed.
    ("disqualify", "not_recorded", "Not recorded (imported)", False),
    ("lose", "not_recorded", "Not recorded (imported)", False),
    ("unreachable", "not_recorded", "Not recorded (imported)", False),
]
