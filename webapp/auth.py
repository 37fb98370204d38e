"""Signing in and out, who may see what, and sign-in by default for every page.

A user signs in by username and PIN/password, or on a handheld by scanning their badge
and typing a PIN; signing in on a shared device replaces whoever was signed in. Flask's
session is a cookie on the device, so the user row holds what must take effect at once
across every device and gunicorn process: `session_version` (bumped to end sessions),
`active`, and the wrong-PIN count with its lock. Idle time lives in the session itself,
so a request writes nothing to the database for it.

This module is Flask-Login's setup, the sign-in guard, roles and the views; the rules
they apply (the PIN check and its lock, ending sessions, switching a user off) are in
`signin_rules`, re-exported here.
"""

import functools
import time
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import LoginManager, current_user, login_user, logout_user

from .db import db
from .errors import wants_json
from .models import Role, User
from .scan import ScanKind, resolve
from .signin_rules import (
    SigninRefused,
    check_signin,
    end_sessions,
    normalise_badge,
)
from .signin_rules import deactivate_user as deactivate_user  # for the office's callers

bp = Blueprint("auth", __name__)
login_manager = LoginManager()
# "basic"/"strong" protection fingerprints X-Forwarded-For, which any client can set;
# session_version does the real work of ending sessions.
login_manager.session_protection = None

# Everything else requires a signed-in user: a new route cannot forget to ask.
PUBLIC_ENDPOINTS = {"static", "auth.signin", "auth.signin_post", "auth.badge_signin", "api.health"}

RANK = {Role.WORKER: 1, Role.SUPERVISOR: 2, Role.ADMIN: 3}
SEEN = "seen"  # session key: when this device last made a request (epoch seconds)
SINCE = "since"  # session key: when this sign-in began (epoch seconds)


def init_app(app):
    login_manager.init_app(app)
    app.before_request(_require_sign_in)
    app.register_error_handler(403, _forbidden)
    app.jinja_env.globals["has_role"] = has_role
    app.register_blueprint(bp)


# Built once (every request runs it); read afresh, never from the session's identity map.
_USER_BY_ID = (
    sa.select(User).where(User.id == sa.bindparam("id")).execution_options(populate_existing=True)
)


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    """The user this session belongs to, unless disabled or signed out everywhere since."""
    user_id, _, version = session_id.partition(":")
    if not (user_id.isdigit() and version.isdigit()):
        return None
    user = db.session.scalar(_USER_BY_ID, {"id": int(user_id)})
    if user is None or not user.active or user.session_version != int(version):
        return None
    return user


@login_manager.unauthorized_handler
def _send_to_signin():
    if wants_json():
        return jsonify(error="Sign in first."), 401
    if request.headers.get("HX-Request"):
        here = urlsplit(request.headers.get("HX-Current-URL", ""))
        target = url_for("auth.signin", next=_local(here.path, here.query))
        return "", 401, {"HX-Redirect": target}
    if request.method == "GET":
        return redirect(url_for("auth.signin", next=_local(request.path, request.query_string)))
    return redirect(url_for("auth.signin"))


def _require_sign_in():
    # Load the user (and CSRF token) afresh: under the test client, requests share one app
    # context and so one `g`, and a cached user would outlive its deactivation.
    g.pop("_login_user", None)
    g.pop(current_app.config["WTF_CSRF_FIELD_NAME"], None)
    if request.endpoint == "static":
        return None
    if current_user.is_authenticated:
        now = int(time.time())
        idle_minutes = current_app.config["IDLE_MINUTES"]
        most_hours = current_app.config["SESSION_MAX_HOURS"]
        if now - session.setdefault(SINCE, now) > most_hours * 3600:
            _end_this_session()
            flash(f"Signed out: a sign-in lasts {most_hours} hours at most. Sign in again.")
        elif now - session.get(SEEN, now) > idle_minutes * 60:
            _end_this_session()
            flash(f"Signed out after {idle_minutes} minutes without use.")
        else:
            # Minutes are the idle clock's grain: refresh it at most every 30 s, so most
            # scans do not re-sign and resend the session cookie.
            if now - session.get(SEEN, 0) >= 30:
                session[SEEN] = now
            return None
    if request.endpoint is None or request.endpoint in PUBLIC_ENDPOINTS:
        return None  # unknown URLs get their 404
    return login_manager.unauthorized()


def has_role(user, role: Role) -> bool:
    """Whether the user holds `role` or a higher one (an admin passes supervisor checks)."""
    return bool(user.is_authenticated and RANK[user.role] >= RANK[role])


def role_required(role: Role):
    """Let only users of `role` or higher through; others get a 403 page saying why."""

    def decorate(view):
        @functools.wraps(view)
        def checked(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not has_role(current_user, role):
                abort(403, description=f"This is for {role.value}s. Ask a {role.value}.")
            return view(*args, **kwargs)

        return checked

    return decorate


def _forbidden(error):
    message = error.description or "You may not do this."
    if wants_json():
        return jsonify(error=message), 403
    return render_template("error.html", message=message), 403


# Views --------------------------------------------------------------------------------


@bp.get("/signin")
def signin():
    """The sign-in page: scan a badge, or type a username, then the PIN."""
    return _signin_page()


@bp.post("/signin")
def signin_post():
    """Sign in by username and PIN/password."""
    username = request.form.get("username", "")
    try:
        user = check_signin(request.form.get("pin", ""), username=username)
    except SigninRefused as refused:
        return _signin_page(refused.message, username=username), refused.status
    return _start_session(user)


@bp.post("/signin/badge")
def badge_signin():
    """Sign in by badge and PIN; a badge scanned alone asks for the PIN next."""
    badge = normalise_badge(request.form.get("badge", ""))
    pin = request.form.get("pin", "")
    if not badge:
        return _signin_page("Scan your badge first."), 422
    if not pin:
        # A label that is plainly something else (the bin label beside the charger) is
        # said at once; any other code may be a badge, so the PIN decides, and a wrong
        # one reads the same for every badge.
        scanned = resolve(request.form.get("badge", ""), "badge")
        if scanned.kind not in (ScanKind.USER, ScanKind.UNKNOWN, ScanKind.INVALID):
            return _signin_page(f"That is {scanned.describe()}, not a badge: scan your badge."), 422
        return _signin_page(badge=badge)
    try:
        user = check_signin(pin, badge=badge)
    except SigninRefused as refused:
        return _signin_page(refused.message), refused.status
    return _start_session(user)


@bp.post("/signout")
def signout():
    """Sign out of this device."""
    _end_this_session()
    flash("Signed out.")
    return redirect(url_for("auth.signin"))


@bp.post("/signout/everywhere")
def signout_everywhere():
    """Sign out of every device this user is signed in on."""
    end_sessions(current_user.id)
    _end_this_session()
    flash("Signed out on every device.")
    return redirect(url_for("auth.signin"))


def _signin_page(error: str = "", username: str = "", badge: str = ""):
    next_url = request.values.get("next", "")
    return render_template(
        "auth/signin.html", error=error, username=username, badge=badge, next=next_url
    )


def _start_session(user: User):
    # A fresh session: nothing of the previous worker's (nor their CSRF token) carries over.
    session.clear()
    login_user(user)
    session[SEEN] = session[SINCE] = int(time.time())
    return redirect(_safe_next(request.form.get("next", "")))


def _end_this_session():
    logout_user()
    session.clear()


def _local(path: str, query: str | bytes) -> str:
    query = query.decode("latin-1") if isinstance(query, bytes) else query
    return f"{path}?{query}" if query else path


def _safe_next(target: str) -> str:
    """Only a path on this site: never another host (an open redirect)."""
    parts = urlsplit(target)
    if target.startswith("/") and not parts.scheme and not parts.netloc and "\\" not in target:
        return target
    return url_for("home.index")
