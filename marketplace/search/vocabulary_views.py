"""Curators edit the search vocabulary: synonym and acronym groups, effective on the next search."""

from __future__ import annotations

from flask import Response, abort, flash, url_for
from flask_login import current_user, login_required

from marketplace.htmx import render, see_other
from marketplace.policy import require
from marketplace.search import vocabulary
from marketplace.search.forms import DeleteForm, VocabularyForm
from marketplace.search.views import bp


def _page(form: VocabularyForm | None = None, status: int = 200) -> Response:
    return render("search/vocabulary.html", status=status, entries=vocabulary.entries(),
                  form=form or VocabularyForm(), delete_form=DeleteForm())


def _validated(form: VocabularyForm) -> list[str] | None:
    """The phrases when the form is valid; otherwise None, with every problem on the field."""
    if not form.validate():
        return None
    phrases, problems = vocabulary.parse_phrases(form.phrases.data)
    if problems:
        form.phrases.errors = list(form.phrases.errors) + problems
        return None
    return phrases


@bp.route("/curate/vocabulary")
@login_required
def vocabulary_page() -> Response:
    """The vocabulary: every group, and a form to add one."""
    require("manage_vocabulary")
    return _page()


@bp.route("/curate/vocabulary", methods=["POST"])
@login_required
def add_vocabulary() -> Response:
    """Add a group of equivalent phrases."""
    require("manage_vocabulary")
    form = VocabularyForm()
    phrases = _validated(form)
    if phrases is None:
        return _page(form, status=422)
    vocabulary.save(None, phrases, form.note.data or "", current_user)
    flash(f"Searches for any of “{'”, “'.join(phrases)}” now find all of them.", "success")
    return see_other(url_for("search.vocabulary_page"))


@bp.route("/curate/vocabulary/<int:entry_id>", methods=["GET", "POST"])
@login_required
def edit_vocabulary(entry_id: int) -> Response:
    """Edit one group (GET shows the form, POST saves it)."""
    require("manage_vocabulary")
    entry = vocabulary.entry_by_id(entry_id) or abort(404)
    form = VocabularyForm(obj=entry)
    if form.is_submitted():
        phrases = _validated(form)
        if phrases is not None:
            vocabulary.save(entry, phrases, form.note.data or "", current_user)
            flash("Vocabulary saved; it applies to the next search.", "success")
            return see_other(url_for("search.vocabulary_page"))
        return render("search/vocabulary_edit.html", status=422, entry=entry, form=form)
    return render("search/vocabulary_edit.html", entry=entry, form=form)


@bp.route("/curate/vocabulary/<int:entry_id>/delete", methods=["POST"])
@login_required
def delete_vocabulary(entry_id: int) -> Response:
    """Remove a group."""
    require("manage_vocabulary")
    entry = vocabulary.entry_by_id(entry_id) or abort(404)
    if not DeleteForm().validate():
        abort(400)
    vocabulary.delete(entry)
    flash("Removed from the vocabulary.", "success")
    return see_other(url_for("search.vocabulary_page"))
