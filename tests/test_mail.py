"""E-mail leaves through a real SMTP server (aiosmtpd on loopback), only after the commit."""

from __future__ import annotations

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message

from marketplace.extensions import db
from marketplace.mail.services import send_mail
from tests.pgcluster import _free_port


class Inbox(Message):
    """Keep every message the server accepts."""

    def __init__(self) -> None:
        super().__init__()
        self.messages = []

    def handle_message(self, message) -> None:  # noqa: ANN001 - aiosmtpd's signature
        self.messages.append(message)


@pytest.fixture()
def smtp(app):
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    saved = {k: app.config.get(k) for k in ("MAIL_SERVER", "MAIL_PORT")}
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port)
    yield inbox
    app.config.update(saved)
    controller.stop()


def test_mail_is_delivered_after_commit_and_not_on_rollback(base, smtp):
    send_mail("ana@demo.test", "Rolled back", "never")
    db.session.rollback()
    send_mail("ana@demo.test", "Your follow-up", "What are you doing differently?", html="<p>What?</p>", user_id=1)
    assert smtp.messages == [], "nothing leaves before the commit"
    db.session.commit()
    assert [m["Subject"] for m in smtp.messages] == ["Your follow-up"]
    message = smtp.messages[0]
    assert message["To"] == "ana@demo.test"
    assert "What are you doing differently?" in message.get_payload()[0].get_payload()
