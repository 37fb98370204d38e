"""Binscan: warehouse-floor scanning. `create_app` builds the Flask application."""

import os
import secrets
import tempfile
from pathlib import Path

from flask import Flask, request
from flask_compress import Compress
from flask_migrate import Migrate
from werkzeug.middleware.proxy_fix import ProxyFix

from . import clock, request_input
from . import db as database

ROOT = Path(__file__).resolve().parent.parent
migrate = Migrate()
compress = Compress()


def create_app(config: dict | None = None) -> Flask:
    """Build the app: settings from config/settings.py, then the environment, then `config`."""
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_path=(config or {}).get("INSTANCE_PATH")
        or os.environ.get("BINSCAN_INSTANCE", str(ROOT / "instance")),
    )
    request_input.init_app(app)
    app.config.from_pyfile(str(ROOT / "config" / "settings.py"))
    app.config.from_prefixed_env("BINSCAN")
    for name in ("DATABASE_URL", "SECRET_KEY"):
        if os.environ.get(name):
            app.config[name] = os.environ[name]
    app.config.update(config or {})

    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    _secret_key(app)
    app.config["SQLALCHEMY_DATABASE_URI"] = app.config["DATABASE_URL"] or (
        f"sqlite:///{Path(app.instance_path) / 'binscan.db'}"
    )
    if app.config["ENV"] == "production":
        app.config["SESSION_COOKIE_SECURE"] = True
    if proxies := int(app.config["TRUSTED_PROXIES"]):
        # Without this, behind a TLS proxy the app sees http:// and the proxy's address.
        app.wsgi_app = ProxyFix(
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies, x_prefix=proxies
        )

    database.init_app(app)
    _compression(app)
    migrate.init_app(
        app, database.db, directory=str(ROOT / "webapp" / "migrations"), render_as_batch=True
    )

    from . import api, auth, cli, errors, floor, home, security, supervisor
    from .admin import bp as admin_bp
    from .labels_views import bp as labels_bp
    from .reports_views import bp as reports_bp

    # Sign-in first: a device whose session ended is sent to sign in, not refused for CSRF.
    app.add_template_filter(clock.local, "local")
    app.add_template_global(clock.zone, "time_zone")
    auth.init_app(app)  # registers auth.bp; every page but sign-in requires a user
    security.init_app(app)
    app.register_blueprint(home.bp)
    app.register_blueprint(floor.bp)
    app.register_blueprint(supervisor.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(labels_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(reports_bp)
    errors.init_app(app)
    cli.init_app(app)
    return app


def _compression(app: Flask) -> None:
    """Compress pages and static files. Flask-Compress's streaming path never closes the
    file it streams, so static files reach it as bytes instead (read once, closed with the
    response); other streamed answers (CSV exports) stay streamed and uncompressed."""
    app.config.setdefault("COMPRESS_STREAMS", False)
    compress.init_app(app)

    @app.after_request  # registered after Flask-Compress's, so it runs just before it
    def static_as_bytes(response):
        if request.endpoint == "static" and response.is_streamed and response.status_code == 200:
            response.direct_passthrough = False
            response.make_sequence()
        return response


def _secret_key(app: Flask) -> None:
    """Production must be given SECRET_KEY; development keeps a generated one on disk."""
    if app.config.get("SECRET_KEY"):
        return
    if app.config["ENV"] == "production":
        raise RuntimeError("SECRET_KEY is not set. Set it in the environment to run in production.")
    key_file = Path(app.instance_path) / "secret_key"
    if not key_file.exists():
        _create_once(key_file, secrets.token_hex(32))
    app.config["SECRET_KEY"] = key_file.read_text().strip()


def _create_once(path: Path, text: str) -> None:
    """Write `path` whole, owner-only, unless another process (gunicorn's workers start
    together) got there first: then theirs stands, so every worker signs with one key."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, draft = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")  # mode 0600
    with os.fdopen(handle, "w") as f:
        f.write(text)
    try:
        os.link(draft, path)  # atomic, and refuses to replace a file that exists
    except FileExistsError:
        pass
    finally:
        os.unlink(draft)
