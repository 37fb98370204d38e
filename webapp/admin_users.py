"""Admin pages for users: who can sign in, with which role, PIN and badge; switching
someone off. Views on admin's blueprint, imported by admin."""

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from . import masterdata
from .admin import _as_saved, _form, bp
from .db import db
from .masterdata import ChangedMeanwhile, Invalid
from .models import Role, User

# --- users -------------------------------------------------------------------------------


@bp.get("/users")
def users():
    """Everyone who can sign in, and who cannot any more."""
    return render_template("admin/users.html", users=masterdata.all_users(), roles=list(Role))


@bp.route("/users/new", methods=["GET", "POST"])
def user_new():
    """Add a user with a role, PIN and badge."""
    if request.method == "GET":
        return _form("user_new.html", values={"role": "worker"}, errors={}, roles=list(Role))
    values = request.form.to_dict()
    try:
        saved = masterdata.create_user(current_user, values)
    except Invalid as invalid:
        values.pop("pin", None)
        return _form("user_new.html", 422, values=values, errors=invalid.errors, roles=list(Role))
    flash(f"User {saved.username} created.")
    return redirect(url_for("admin.users"))


@bp.get("/users/<int:id>")
def user(id, errors=None, status=200, values=None):
    """One user: name, role and badge; PIN reset; switching off or back on."""
    found = db.get_or_404(User, id)
    values = values or _as_saved(masterdata.user_state(found))
    return _form(
        "user.html", status, user=found, values=values, errors=errors or {}, roles=list(Role)
    )


@bp.post("/users/<int:id>")
def user_save(id):
    """Change a user's name, role or badge."""
    db.get_or_404(User, id)
    try:
        masterdata.save_user(current_user, id, request.form.to_dict())
    except ChangedMeanwhile as changed:  # shown as it is now, to make the change again on
        return user(id, changed.errors, 422)
    except Invalid as invalid:
        return user(id, invalid.errors, 422, values=request.form.to_dict())
    flash("Saved.")
    return redirect(url_for("admin.user", id=id))


@bp.post("/users/<int:id>/pin")
def user_pin(id):
    """Set a new PIN; the user is signed out everywhere."""
    try:
        masterdata.reset_pin(current_user, id, request.form.get("pin", ""))
    except Invalid as invalid:
        return user(id, invalid.errors, 422)
    flash("PIN reset; the user was signed out on every device.")
    return redirect(url_for("admin.user", id=id))


@bp.post("/users/<int:id>/deactivate")
def user_deactivate(id):
    """Switch a user off and sign them out at once."""
    db.get_or_404(User, id)
    try:
        freed = masterdata.deactivate_user(current_user, id, request.form.get("reason", ""))
    except Invalid as invalid:
        return user(id, invalid.errors, 422)
    said = "; ".join(freed)
    flash("User switched off and signed out." + (
        f" Their work is back on the floor: {said}." if freed else ""))
    return redirect(url_for("admin.users"))


@bp.post("/users/<int:id>/activate")
def user_activate(id):
    """Switch a user back on; they sign in with the PIN and badge they had."""
    db.get_or_404(User, id)
    masterdata.activate_user(current_user, id)
    flash("Switched back on: the user can sign in again.")
    return redirect(url_for("admin.user", id=id))
