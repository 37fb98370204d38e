"""Request security: CSRF tokens, response headers, production cookies, and the
same-origin check that JSON API routes use instead of a token.

Flask-WTF's CSRFProtect checks every POST/PUT/PATCH/DELETE. Pages carry the token in a
<meta> tag and in `hx-headers` on <body>, which htmx 2 passes down to every request it
sends as `X-CSRFToken`; plain forms carry it as a hidden `csrf_token` field.
"""

import functools
from urllib.parse import urlsplit

from flask import current_app, jsonify, render_template, request
from flask_wtf.csrf import CSRFError, CSRFProtect

csrf = CSRFProtect()

# A header no cross-site form can send, and that a cross-site script cannot send without
# a CORS preflight, which we never answer.
API_HEADER = "X-Binscan-Request"
UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def init_app(app):
    if app.config["ENV"] == "production":
        app.config["SESSION_COOKIE_SECURE"] = True
        app.config["REMEMBER_COOKIE_SECURE"] = True
    csrf.init_app(app)
    app.after_request(_security_headers)
    app.register_error_handler(CSRFError, _csrf_refused)


def _security_headers(response):
    headers = response.headers
    headers.setdefault("Content-Security-Policy", _csp())
    headers.setdefault("X-Content-Type-Options", "nosniff")
    # Not no-referrer: Flask-WTF refuses an HTTPS POST without a same-origin Referer.
    headers.setdefault("Referrer-Policy", "same-origin")
    hsts = current_app.config["HSTS_SECONDS"]
    if current_app.config["ENV"] == "production" and hsts:
        headers.setdefault("Strict-Transport-Security", f"max-age={int(hsts)}")
    return response


def _csp() -> str:
    policy = current_app.config["CONTENT_SECURITY_POLICY"]
    return "; ".join(f"{name} {value}" for name, value in policy.items())


def _csrf_refused(error: CSRFError):
    """A missing or stale token: say what to do. (A device whose session ended, and its
    token with it, never gets here: auth's check runs first and sends it to sign in.)"""
    message = "This page has expired. Reload it and try again."
    if request.path.startswith("/api/"):
        return jsonify(error=message, reason=error.description), 400
    return render_template("error.html", message=message), 400


def cross_site_refusal() -> str | None:
    """Why this request may not come from our own pages' scripts, or None if it does.

    OWASP ASVS 3.5.1's alternative to a token, for JSON requests that an offline queue
    replays long after any token expired: a custom header and a JSON body (both force a
    CORS preflight) and a same-origin Sec-Fetch-Site or Origin. The session cookie is
    SameSite=Lax as well.
    """
    if not request.headers.get(API_HEADER):
        return f"The {API_HEADER} header is missing."
    if not request.is_json:
        return "The request body must be JSON."
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None:
        return None if fetch_site == "same-origin" else "The request came from another site."
    origin = request.headers.get("Origin")
    if origin is None:
        return "The Origin header is missing."
    # Host only: behind a TLS proxy the scheme we see may differ from the browser's.
    if urlsplit(origin).netloc != request.host:
        return "The request came from another site."
    return None


def same_origin_json(view):
    """Exempt a JSON API view from the CSRF token, requiring `cross_site_refusal` to pass."""

    @functools.wraps(view)
    def checked(*args, **kwargs):
        if request.method in UNSAFE_METHODS:
            refusal = cross_site_refusal()
            if refusal:
                return jsonify(error=refusal), 403
        return view(*args, **kwargs)

    return csrf.exempt(checked)
