"""Forms on the "Your data" page."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField
from wtforms.validators import DataRequired

from marketplace.choices import options
from marketplace.privacy.models import Treatment

ANONYMISE = (Treatment.ANONYMISE.value, "Anonymise: keep it, attributed to “a former colleague”")
POSTS = [ANONYMISE, (Treatment.DELETE.value, "Delete: posts become “removed”; threads only you wrote are deleted")]
WORK = [ANONYMISE, (Treatment.DELETE.value, "Delete unpublished work and its files; published items stay, attributed to “a former colleague”")]


class ErasureForm(FlaskForm):
    posts = RadioField("Threads, posts and answers in spaces", choices=options(POSTS), default=Treatment.ANONYMISE.value)
    work = RadioField("Catalog items, submissions and uploaded files", choices=options(WORK), default=Treatment.ANONYMISE.value)
    confirm = BooleanField("I understand that after the cool-off this cannot be undone", validators=[DataRequired("Tick the box to confirm.")])


class ExportForm(FlaskForm):
    """Only the CSRF token: asking for an export needs no input."""
