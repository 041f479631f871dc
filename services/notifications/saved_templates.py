"""The wording each chain and store saved, per trigger, channel and
language: which one a message uses, and saving, listing, deleting and
previewing them (``templates`` has the built-in wording and the checks).
Only HQ changes the chain's wording, and a store's manager their store's
(docs/ARCHITECTURE.md#rule-7)."""
from sqlalchemy import or_, select

from chassis.clock import now
from chassis.errors import Forbidden, InvalidInput, NotFound
from chassis.identity import HQ_ADMIN, MANAGERS

from . import templates
from .models import Template
from .records import audit, iso
from .sms import MAX_BODY_CHARS


def _languages(language, default):
    out = []
    for lang in (language, (language or "").split("-")[0], default, (default or "").split("-")[0]):
        lang = (lang or "").lower()
        if lang and lang not in out:
            out.append(lang)
    return out


def resolve_template(session, settings, store_id, trigger, channel, language):
    """``(subject, body)`` for a trigger: the store's own wording in the
    client's language, else the chain's, else the store's or chain's in the
    default language, else the built-in wording."""
    languages = _languages(language, settings.default_language)
    scopes = [str(store_id), "chain"] if store_id else ["chain"]
    rows = session.scalars(select(Template).where(
        Template.trigger == trigger, Template.channel == channel,
        Template.scope.in_(scopes), Template.language.in_(languages))).all()
    if rows:
        best = min(rows, key=lambda t: (languages.index(t.language), scopes.index(t.scope)))
        fallback = templates.default(trigger, channel)
        return best.subject or (fallback[0] if fallback else None), best.body
    built_in = templates.default(trigger, channel)
    if built_in is None:
        raise LookupError(f"no wording for {trigger} on {channel}")
    return built_in


def template_view(t):
    return {"id": t.id, "store_id": t.store_id, "trigger": t.trigger, "channel": t.channel,
            "language": t.language, "subject": t.subject, "body": t.body,
            "updated_by": t.updated_by, "updated_at": iso(t.updated_at),
            **templates.preview(t.trigger, t.body, t.subject)}


def _template_scope(identity, store_id):
    if identity.read_only:
        raise Forbidden("read-only role")
    if store_id is None:
        if identity.role != HQ_ADMIN:
            raise Forbidden("only HQ changes the chain's templates")
        return "chain"
    if identity.role not in MANAGERS or not identity.can_see_store(store_id):
        raise Forbidden("only the store's manager or HQ changes its templates")
    return str(store_id)


def _problems(data):
    """Field errors of a template to save (empty when it may be saved)."""
    trigger, channel = data["trigger"], data["channel"]
    errors = {}
    if trigger not in templates.EDITABLE:
        errors["trigger"] = [f"one of {', '.join(templates.EDITABLE)}"]
    elif channel not in templates.TRIGGERS[trigger]["channels"]:
        errors["channel"] = [f"{trigger} goes by {', '.join(templates.TRIGGERS[trigger]['channels'])}"]
    else:
        for field in ("body", "subject"):
            problems = templates.check(trigger, data.get(field) or "")
            if problems:
                errors[field] = problems
    if channel == "sms" and len(data["body"]) > MAX_BODY_CHARS:
        errors.setdefault("body", []).append(f"a text is at most {MAX_BODY_CHARS} characters")
    return errors


def save_template(session, identity, data):
    errors = _problems(data)
    if errors:
        raise InvalidInput("the template cannot be saved", errors)
    trigger, channel = data["trigger"], data["channel"]
    store_id = str(data["store_id"]) if data.get("store_id") else None
    scope = _template_scope(identity, store_id)
    language = data["language"].lower()
    template = session.scalar(select(Template).where(
        Template.scope == scope, Template.trigger == trigger, Template.channel == channel,
        Template.language == language).with_for_update())
    action = "template_updated"
    if template is None:
        template = Template(scope=scope, store_id=store_id, trigger=trigger, channel=channel,
                            language=language)
        session.add(template)
        action = "template_created"
    template.subject = data.get("subject") if channel == "email" else None
    template.body, template.updated_by, template.updated_at = data["body"], identity.user_id, now()
    session.flush()
    audit(session, identity, "template", template.id, action, store_id=store_id,
          trigger=trigger, channel=channel, language=language)
    return template_view(template)


def list_templates(session, identity, q):
    query = select(Template).order_by(Template.trigger, Template.channel, Template.language,
                                      Template.scope)
    if q.get("store_id"):
        if not identity.can_see_store(q["store_id"]):
            raise Forbidden("you may not see this store")
        query = query.where(Template.scope.in_([str(q["store_id"]), "chain"]))
    elif not identity.chain_wide:
        query = query.where(or_(Template.scope == "chain", Template.store_id.in_(identity.store_ids)))
    for name in ("trigger", "channel", "language"):
        if q.get(name):
            query = query.where(getattr(Template, name) == q[name])
    return {"items": [template_view(t) for t in session.scalars(query).all()],
            "next_cursor": None}


def delete_template(session, identity, template_id):
    template = session.get(Template, template_id, with_for_update=True)
    if template is None or (template.store_id and not identity.can_see_store(template.store_id)):
        raise NotFound("no such template")
    _template_scope(identity, template.store_id)
    audit(session, identity, "template", template.id, "template_deleted",
          store_id=template.store_id, trigger=template.trigger, channel=template.channel,
          language=template.language)
    session.delete(template)
    return {"id": template_id, "deleted": True}


def preview_template(data):
    trigger = data["trigger"]
    if trigger not in templates.TRIGGERS:
        raise InvalidInput("unknown trigger", {"trigger": [f"one of {', '.join(templates.TRIGGERS)}"]})
    problems = templates.check(trigger, data["body"])
    if problems:
        raise InvalidInput("the template has problems", {"body": problems})
    return templates.preview(trigger, data["body"], data.get("subject"))
