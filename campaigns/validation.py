"""Checks every draft text passes before a reviewer sees it, and again after an edit.

A language model's output is untrusted: it may carry HTML or script (from an injection in
customer data), links to anywhere, or another customer's details. Such a draft is refused
with the reason, never shown as if it were fine; harmless formatting tags are stripped with
a note. Pages render drafts escaped in any case, and emails go out as plain text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from email.utils import parseaddr
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.html import strip_tags

from customers.models import Customer

UNSAFE_MARKUP = re.compile(
    r"<\s*/?\s*(script|style|iframe|object|embed|form|input|img|svg|link|meta|base|frame)\b"
    r"|javascript\s*:|vbscript\s*:|data\s*:\s*text/html|\bon[a-z]+\s*=\s*[\"']",
    re.IGNORECASE,
)
ANY_TAG = re.compile(r"</?[a-zA-Z][a-zA-Z0-9-]*(\s[^<>]*)?/?>|<!--.*?-->", re.DOTALL)
URL = re.compile(r"(?i)\b(?:(?:https?|ftp)://|www\.)[^\s<>\"'()\[\]{}]+")
EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
ID_TOKEN = re.compile(r"\b[A-Za-z0-9][A-Za-z0-9_-]{3,63}\b")
NAME_WORD = r"[A-Z][\w'\u2019-]+"
NAME_SEQUENCE = re.compile(rf"{NAME_WORD}(?:\s+{NAME_WORD}){{1,3}}")
CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class DraftRejected(Exception):
    """The text must not reach a reviewer as it is; the message says why."""


@dataclass
class CleanDraft:
    subject: str
    body: str
    offer: str
    notes: list[str] = field(default_factory=list)


def _allowed_host(host: str) -> bool:
    host = host.lower().rstrip(".")
    for allowed in getattr(settings, "DRAFT_LINK_ALLOWLIST", []) or []:
        allowed = allowed.lower().strip().lstrip(".")
        if allowed and (host == allowed or host.endswith("." + allowed)):
            return True
    return False


def _check_links(text: str) -> None:
    for match in URL.finditer(text):
        url = match.group(0).rstrip(".,;:!?")
        host = urlsplit(url if "://" in url else f"http://{url}").hostname or ""
        if not _allowed_host(host):
            raise DraftRejected(
                f"It links to {host or url!r}, which is not on the link allowlist "
                "(DRAFT_LINK_ALLOWLIST)."
            )


def _check_emails(text: str, *, customer: Customer) -> None:
    own = (customer.email or "").lower()
    sender = parseaddr(getattr(settings, "DEFAULT_FROM_EMAIL", ""))[1].lower()
    for match in EMAIL.finditer(text):
        address = match.group(0).lower()
        if address in (own, sender):
            continue
        domain = address.rsplit("@", 1)[-1]
        if _allowed_host(domain):
            continue
        raise DraftRejected(
            f"It contains the email address {address!r}, which is not this customer's."
        )


def _check_other_customers(text: str, *, customer: Customer) -> None:
    tokens = {t for t in ID_TOKEN.findall(text) if any(c.isdigit() for c in t)}
    tokens.discard(customer.external_id)
    if tokens:
        other = (
            Customer.objects.filter(external_id__in=tokens)
            .exclude(pk=customer.pk)
            .values_list("external_id", flat=True)
            .first()
        )
        if other:
            raise DraftRejected(f"It contains another customer's id ({other}).")
    candidates: set[str] = set()
    for match in NAME_SEQUENCE.finditer(text):
        words = match.group(0).split()
        # Every run of two or more words, so "Dear Jane Doe" finds "Jane Doe".
        for start in range(len(words)):
            for stop in range(start + 2, len(words) + 1):
                candidates.add(" ".join(words[start:stop]))
    own_name = (customer.name or "").strip().lower()
    candidates = {c for c in candidates if c.lower() != own_name}
    if candidates:
        other = (
            Customer.objects.filter(name__in=candidates)
            .exclude(pk=customer.pk)
            .exclude(name__iexact=customer.name or "")
            .values_list("name", flat=True)
            .first()
        )
        if other:
            raise DraftRejected(f"It names another customer ({other}).")


def _clean_field(name: str, value, *, limit: int, notes: list[str], single_line: bool) -> str:
    if not isinstance(value, str):
        raise DraftRejected(f"The {name} is not text.")
    text = CONTROL_CHARS.sub("", value).replace("\r\n", "\n").replace("\r", "\n").strip()
    if UNSAFE_MARKUP.search(text):
        raise DraftRejected(f"The {name} contains HTML or script, which is never allowed.")
    if ANY_TAG.search(text):
        text = strip_tags(text).strip()
        notes.append(f"HTML tags were removed from the {name}.")
    if single_line:
        text = " ".join(text.split())
    if len(text) > limit:
        raise DraftRejected(f"The {name} is {len(text)} characters long; the limit is {limit}.")
    return text


def clean_draft(*, subject, body, offer, customer: Customer) -> CleanDraft:
    """The draft text made safe, or ``DraftRejected`` saying why it cannot be."""
    notes: list[str] = []
    subject = _clean_field(
        "subject", subject, limit=settings.DRAFT_SUBJECT_MAX_CHARS, notes=notes, single_line=True
    )
    body = _clean_field(
        "body", body, limit=settings.DRAFT_BODY_MAX_CHARS, notes=notes, single_line=False
    )
    offer = _clean_field(
        "offer", offer or "", limit=settings.DRAFT_OFFER_MAX_CHARS, notes=notes, single_line=True
    )
    if not subject:
        raise DraftRejected("The subject is empty.")
    if not body:
        raise DraftRejected("The body is empty.")
    everything = f"{subject}\n{body}\n{offer}"
    _check_links(everything)
    _check_emails(everything, customer=customer)
    _check_other_customers(everything, customer=customer)
    return CleanDraft(subject=subject, body=body, offer=offer, notes=notes)
