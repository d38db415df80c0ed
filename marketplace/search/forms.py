"""Search arguments and the forms for logging demand and managing content requests."""

from __future__ import annotations

from collections.abc import Mapping

from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length

from marketplace.search.schema import FACETS
from marketplace.search.services import MAX_CHARS, MAX_LIMIT, PAGE, SearchRequest, clean_filters

TABS = ("items", "discussions", "people")


def parse_request(args: Mapping[str, str], labels: dict[str, dict[str, str]]) -> tuple[SearchRequest, list[str]]:
    """Turn query-string values into a search request; unknown filters are dropped and explained."""
    problems = []
    text = args.get("q") or ""
    if len(text) > MAX_CHARS:
        problems.append(f"Only the first {MAX_CHARS} characters of your search were used.")
    filters, filter_problems = clean_filters({name: args.get(name) or "" for name in FACETS}, labels)
    limit = (args.get("limit") or "").strip()
    size = int(limit) if limit.isdigit() and 0 < int(limit) <= MAX_LIMIT else PAGE
    return SearchRequest(text=text[:MAX_CHARS], filters=filters, limit=size), problems + filter_problems


def parse_tab(args: Mapping[str, str]) -> str:
    """Which tab of results to show: items (default), discussions or people."""
    return args.get("tab") if args.get("tab") in TABS else "items"


class DemandForm(FlaskForm):
    """A settled search to log (as-you-type logs only once typing stops) or an explicit request."""

    q = HiddenField("Query", validators=[DataRequired(), Length(max=MAX_CHARS)])


class ContentRequestForm(FlaskForm):
    query = HiddenField("Query", validators=[DataRequired(), Length(max=200)])
    filters = HiddenField("Filters", validators=[Length(max=400)])
    department_id = SelectField("Ask the champions of", coerce=int, validators=[InputRequired()])
    note = TextAreaField("Note for the champions", validators=[Length(max=2000)])


class ResolveForm(FlaskForm):
    """Mark a content request resolved (no fields beyond the CSRF token)."""


class VocabularyForm(FlaskForm):
    """A group of phrases that mean the same when searching."""

    phrases = StringField("Phrases that mean the same", validators=[DataRequired(), Length(max=500)])
    note = StringField("Note for other curators (optional)", validators=[Length(max=200)])


class DeleteForm(FlaskForm):
    """Remove something (no fields beyond the CSRF token)."""
