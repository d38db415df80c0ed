"""The durable job that hands an e-mail to the SMTP server."""

from __future__ import annotations

import logging
import smtplib

from flask import current_app

from marketplace import jobs
from marketplace.mail.services import MAIL_JOB, build_message

log = logging.getLogger(__name__)


@jobs.durable(MAIL_JOB)
def send(to: str, subject: str, text: str, html: str | None = None) -> None:
    """Deliver one e-mail over SMTP (MAIL_SERVER); without a server, log it (development)."""
    config = current_app.config
    message = build_message(to, subject, text, html)
    if not config.get("MAIL_SERVER"):
        log.info("MAIL_SERVER is not set; e-mail to %s not sent: %s", to, subject)
        return
    smtp_class = smtplib.SMTP_SSL if config.get("MAIL_USE_SSL") else smtplib.SMTP
    with smtp_class(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=30) as smtp:
        if config.get("MAIL_USE_TLS"):
            smtp.starttls()
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
        smtp.send_message(message)
