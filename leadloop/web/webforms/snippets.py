"""The three ways into a form, as the text a person copies into her site."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.html import escape

from leadloop.webforms import rules
from leadloop.webforms.models import Form


@dataclass(frozen=True)
class Snippet:
    title: str
    note: str
    code: str


def snippets(form: Form, base: str) -> list[Snippet]:
    """`base` is the site's address as the visitor's browser reaches it (no trailing /)."""
    page = f"{base}/f/{form.key}"
    lines = [f'<form method="post" action="{page}">']
    for spec in rules.parse_fields(form.fields):
        required = " required" if spec.required else ""
        lines.append(
            f"  <label>{escape(spec.label)} "
            f'<input type="{spec.input_type}" name="{spec.name}"{required}></label>'
        )
    if form.consent_text:
        lines.append(
            f'  <label><input type="checkbox" name="{rules.CONSENT_FIELD}" value="yes" required> '
            f"{escape(form.consent_text)}</label>"
        )
    lines += [
        "  <!-- Leave this trap empty and hidden: bots fill it, people never see it. -->",
        f'  <input type="text" name="{rules.HONEYPOT_FIELD}" tabindex="-1" autocomplete="off"'
        ' aria-hidden="true" style="position:absolute;left:-10000px">',
        "  <!-- Optional: carry your campaign tags, e.g. -->",
        '  <input type="hidden" name="utm_source" value="">',
        '  <button type="submit">Send</button>',
        "</form>",
    ]
    return [
        Snippet(
            title="JS snippet",
            note="Renders the form where the tag is and sends it without leaving the page; "
            "your site's origin must be in the allowed origins.",
            code=f'<script src="{page}.js" defer></script>',
        ),
        Snippet(
            title="iframe",
            note="The page hosted by leadloop, framed in yours (allowed origins only).",
            code=(
                f'<iframe src="{page}" title="{escape(form.name)}" width="100%" height="640" '
                'style="border:0"></iframe>'
            ),
        ),
        Snippet(
            title="Plain HTML form",
            note="Works without JavaScript; answers with a redirect to the thank-you page or "
            "your redirect URL. Field names are the lead's field names and attributes.NAME.",
            code="\n".join(lines),
        ),
    ]
