from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured

from leadloop.handoff.models import QualificationDefinition


def active_definition() -> QualificationDefinition:
    definition = QualificationDefinition.objects.filter(is_active=True).first()
    if definition is None:
        raise ImproperlyConfigured(
            "No active qualification definition. An admin must activate one "
            "(Admin > Qualification definitions); `leadloop migrate` creates BANT v1."
        )
    return definition
