"""E-mail leaves through a real SMTP server (aiosmtpd on loopback), only after the commit."""

from __future__ import annotations

from marketplace.extensions import db
from marketplace.mail.services import send_mail
from tests.mail_fixtures import smtp  # noqa: F401  (the shared real SMTP server fixture)


def test_mail_is_delivered_after_commit_and_not_on_rollback(base, smtp):  # noqa: F811
    send_mail("ana@demo.test", "Rolled back", "never")
    db.session.rollback()
    send_mail("ana@demo.test", "Your follow-up", "What are you doing differently?", html="<p>What?</p>", user_id=1)
    assert smtp.messages == [], "nothing leaves before the commit"
    db.session.commit()
    assert [m["Subject"] for m in smtp.messages] == ["Your follow-up"]
    message = smtp.messages[0]
    assert message["To"] == "ana@demo.test"
    assert "What are you doing differently?" in message.get_payload()[0].get_payload()
