"""Queue an e-mail in the current transaction; the job worker delivers it with retries."""

from __future__ import annotations

from email.headerregistry import Address
from email.message import EmailMessage

from flask import current_app

from marketplace import jobs

MAIL_JOB = "mail.send"


def mail_subject(user_id: int | None) -> str | None:
    """The job subject that ties a queued e-mail to its recipient (so erasure can find it)."""
    return f"user:{user_id}" if user_id else None


def send_mail(to: str, subject: str, text: str, html: str | None = None, user_id: int | None = None) -> jobs.JobRun:
    """Queue one e-mail; it leaves only if the current transaction commits."""
    payload = {"to": to, "subject": subject, "text": text, "html": html}
    return jobs.submit(MAIL_JOB, payload, subject=mail_subject(user_id), max_attempts=5)


def build_message(to: str, subject: str, text: str, html: str | None) -> EmailMessage:
    """A plain-text e-mail with an optional HTML alternative, from MAIL_FROM."""
    message = EmailMessage()
    sender = current_app.config["MAIL_FROM"]
    message["From"] = sender if "<" in sender else str(Address("The marketplace", addr_spec=sender))
    message["To"] = to
    message["Subject"] = subject
    message.set_content(text)
    if html:
        message.add_alternative(html, subtype="html")
    return message
