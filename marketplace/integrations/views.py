"""Admin pages for chat connections, rules and failed deliveries; personal channels; inbound chat; the xAPI profile."""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, flash, jsonify, request, url_for
from flask_login import current_user, login_required
from wtforms.fields.choices import SelectChoice

from marketplace.accounts.views import PUBLIC_ENDPOINTS
from marketplace.extensions import csrf, db
from marketplace.htmx import render, see_other
from marketplace.integrations import admin, capture, inbound, personal, profile
from marketplace.integrations.forms import EVENT_LABELS, KIND_LABELS, ConnectionForm, RuleForm
from marketplace.policy import require

bp = Blueprint("integrations", __name__)
INBOUND = {"integrations.slack_command", "integrations.slack_action", "integrations.teams_message", "integrations.xapi_profile"}
PUBLIC_ENDPOINTS |= INBOUND  # authenticated by signature (or public by design), not by a session


@bp.route("/admin/integrations", methods=["GET", "POST"])
@login_required
def connections() -> Response:
    """Chat connections and the rules that route events to them."""
    require("manage_integrations")
    form, rule_form = ConnectionForm(prefix="c"), _rule_form()
    if request.method == "POST":
        if form.validate():
            admin.create_connection(form.data)
            flash("Connection added.", "success")
            return see_other(url_for("integrations.connections"))
        return _connections_page(form, rule_form, 422)
    return _connections_page(form, rule_form)


@bp.post("/admin/integrations/rules")
@login_required
def add_rule() -> Response:
    """Route one kind of event to a connection."""
    require("manage_integrations")
    rule_form = _rule_form()
    if rule_form.validate_on_submit():
        admin.create_rule(rule_form.data)
        flash("Rule added.", "success")
        return see_other(url_for("integrations.connections"))
    return _connections_page(ConnectionForm(prefix="c", formdata=None), rule_form, 422)


@bp.post("/admin/integrations/rules/<int:rule_id>/delete")
@login_required
def delete_rule(rule_id: int) -> Response:
    """Stop routing with this rule."""
    require("manage_integrations")
    admin.delete_rule(rule_id) or abort(404)
    flash("Rule removed.", "success")
    return see_other(url_for("integrations.connections"))


@bp.post("/admin/integrations/<int:connection_id>/toggle")
@login_required
def toggle_connection(connection_id: int) -> Response:
    """Turn a connection off (nothing is sent) or back on."""
    require("manage_integrations")
    admin.toggle_connection(connection_id) or abort(404)
    return see_other(url_for("integrations.connections"))


def _rule_form() -> RuleForm:
    form = RuleForm(prefix="r")
    none = [SelectChoice(0, "Any")]
    form.connection_id.choices = [SelectChoice(c.id, c.name) for c in admin.connections()]
    form.kpi_id.choices = none + [SelectChoice(k.id, k.name) for k in admin.kpis()]
    form.department_id.choices = none + [SelectChoice(d.id, d.name) for d in admin.departments()]
    form.collection_id.choices = none + [SelectChoice(c.id, c.title) for c in admin.collections()]
    return form


def _connections_page(form: ConnectionForm, rule_form: RuleForm, status: int = 200) -> Response:
    return render("integrations/connections.html", status=status, form=form, rule_form=rule_form,
                  connections=admin.connections(), rules=admin.rules(), kind_labels=KIND_LABELS, event_labels=EVENT_LABELS)


@bp.get("/admin/deliveries")
@login_required
def deliveries() -> Response:
    """Messages and statements that gave up after every retry."""
    require("manage_integrations")
    return render("integrations/deliveries.html", failed=admin.failed(), counts=admin.counts())


@bp.post("/admin/deliveries/<int:delivery_id>/retry")
@login_required
def retry_delivery(delivery_id: int) -> Response:
    """Try a failed delivery again."""
    require("manage_integrations")
    admin.retry(delivery_id) or abort(404)
    flash("Queued again.", "success")
    return see_other(url_for("integrations.deliveries"))


@bp.route("/account/channels", methods=["GET", "POST"])
@login_required
def channels() -> Response:
    """Choose in-app, e-mail or chat for each kind of notification."""
    require("choose_channels")
    problems: list[str] = []
    chosen = personal.preferences(current_user.id)
    if request.method == "POST":
        chosen = {event: personal.Channels(*(request.form.get(f"{event}-{c}") == "on" for c in ("in_app", "email", "chat")))
                  for event in personal.EVENTS}
        problems = personal.save_preferences(current_user.id, chosen)
        if not problems:
            flash("Saved where your notifications go.", "success")
            return see_other(url_for("integrations.channels"))
    return render("integrations/channels.html", status=422 if problems else 200, problems=problems, chosen=chosen,
                  events=personal.EVENTS, chat=personal.chat_available())


@bp.post("/integrations/slack/commands")
@csrf.exempt
def slack_command() -> Response:
    """/learn <question>: the top three results, within Slack's three seconds."""
    body = _limited_body()
    inbound.verify_slack(body, request.headers.get("X-Slack-Request-Timestamp", ""),
                         request.headers.get("X-Slack-Signature", ""), current_app.config["SLACK_SIGNING_SECRET"])
    question, response_url = request.form.get("text", ""), request.form.get("response_url", "")
    result = inbound.answer_within(current_app._get_current_object(), question, current_app.config["SLACK_COMMAND_BUDGET_SECONDS"])
    if result is None and inbound.allowed_response_url(response_url):
        inbound.answer_later(response_url, question)
        db.session.commit()
        return jsonify(response_type="ephemeral", text=f"Searching for “{question[:100]}”… the results follow in a moment.")
    if result is None:
        result = inbound.answer(question)
    return jsonify(inbound.slack_reply(result))


@bp.post("/integrations/slack/actions")
@csrf.exempt
def slack_action() -> Response:
    """The "Save to a space" message action: hold the thread and send the person a link to finish."""
    body = _limited_body()
    inbound.verify_slack(body, request.headers.get("X-Slack-Request-Timestamp", ""),
                         request.headers.get("X-Slack-Signature", ""), current_app.config["SLACK_SIGNING_SECRET"])
    payload = inbound.action_payload(request.form.get("payload", ""))
    if payload.get("type") != "message_action" or payload.get("callback_id") != "save_to_space":
        return Response("", status=200)  # other interactions are not ours to handle
    capture.start_from_slack(payload)
    return Response("", status=200)


@bp.route("/integrations/captures/<token>", methods=["GET", "POST"])
@login_required
def capture_page(token: str) -> Response:
    """Review a captured chat thread, choose a space and confirm consent."""
    held = capture.by_token(token) or abort(404)
    problems: list[str] = []
    if request.method == "POST":
        try:
            space_id = request.form.get("space_id", type=int)
            thread = capture.save(held, current_user, space_id, request.form.get("title", ""), request.form.get("consent") == "yes")
        except capture.CaptureProblem as error:
            problems = error.problems
        else:
            flash("Saved into the space.", "success")
            return see_other(f"/spaces/{thread.space.slug}/threads/{thread.id}")
    return render("integrations/capture.html", status=422 if problems else 200, held=held, problems=problems,
                  spaces=capture.spaces_for(current_user), form=request.form)


@bp.post("/integrations/teams/messages")
@csrf.exempt
def teams_message() -> Response:
    """A Teams outgoing webhook (@marketplace <question>): answered synchronously with a card."""
    body = _limited_body()
    inbound.verify_teams(body, request.headers.get("Authorization", ""), current_app.config["TEAMS_SECURITY_TOKEN"])
    activity = request.get_json(silent=True) or {}
    question = inbound.strip_mention(str(activity.get("text", "")))
    return jsonify(inbound.teams_reply(inbound.answer(question)))


@bp.get("/xapi/profile")
def xapi_profile() -> Response:
    """Our xAPI profile: the verbs, activity types and extensions our statements use (JSON-LD)."""
    response = jsonify(profile.document())
    response.headers["Content-Type"] = "application/ld+json"
    return response


def _limited_body() -> bytes:
    limit = current_app.config["INBOUND_MAX_BYTES"]
    if (request.content_length or 0) > limit:
        abort(413)
    body = request.get_data(cache=True)
    if len(body) > limit:
        abort(413)
    return body


@bp.errorhandler(inbound.Refused)
def refused(error: inbound.Refused) -> Response:
    """A forged, stale, replayed or unconfigured inbound request: a short plain answer, nothing done."""
    return Response(str(error), status=error.status, mimetype="text/plain")
