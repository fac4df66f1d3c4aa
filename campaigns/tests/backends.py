"""Email backends for tests: one that fails on demand, like a flaky SMTP server."""

import smtplib

from django.core.mail.backends.locmem import EmailBackend as LocmemBackend


class FlakyBackend(LocmemBackend):
    """Raises ``errors`` one after the other (class-level, shared by every instance), then
    delivers to ``django.core.mail.outbox`` like the locmem backend."""

    errors: list[Exception] = []
    calls = 0

    def send_messages(self, messages):
        type(self).calls += 1
        if type(self).errors:
            raise type(self).errors.pop(0)
        return super().send_messages(messages)


def transient() -> Exception:
    return smtplib.SMTPServerDisconnected("Connection unexpectedly closed")


def permanent() -> Exception:
    return smtplib.SMTPRecipientsRefused({"a@example.com": (550, b"No such user")})
