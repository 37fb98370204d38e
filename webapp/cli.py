"""`flask --app webapp ...` commands. The database itself: `flask --app webapp db upgrade`."""

import click

from . import users
from .stock import StockError


def init_app(app):
    app.cli.add_command(create_user)


@click.command("create-user")
@click.argument("username")
@click.option("--name", default="", help="Full name shown on screens and in the ledger.")
@click.option("--role", type=click.Choice(["worker", "supervisor", "admin"]), default="worker")
@click.option("--badge", default=None, help="Badge barcode (0-9, A-Z) for scan sign-in.")
@click.password_option("--password", prompt="Password or PIN")
def create_user(username, name, role, badge, password):
    """Create a user with a hashed password or PIN."""
    try:
        user = users.create_user(username, name, role, password, badge)
    except StockError as error:
        raise click.ClickException(error.message) from None
    click.echo(f"Created {user.role.value} {user.username}.")
