"""`flask --app webapp ...` commands. The database itself: `flask --app webapp db upgrade`.

Commands are thin: they parse arguments, call one function and print its result. The
work lives in plain modules (users, demo, csvio) that the admin pages call too.
"""

import click

from . import counting, csvio, demo, users
from .stock import StockError


def init_app(app):
    for command in (
        create_user,
        load_demo,
        import_items,
        export_items,
        import_locations,
        export_locations,
        cycle_counts,
    ):
        app.cli.add_command(command)


@click.command("cycle-counts")
@click.option(
    "--days",
    type=click.IntRange(1, 3650),
    default=None,
    help="Count each bin once per this many days (default: CYCLE_COUNT_DAYS).",
)
def cycle_counts(days):
    """Raise count tasks for the bins due a cycle count (run it daily, e.g. from cron)."""
    created = counting.schedule_cycle_counts(days)
    click.echo(f"Raised {len(created)} cycle count task{'s' * (len(created) != 1)}.")


@click.command("create-user")
@click.argument("username")
@click.option("--name", default="", help="Full name shown on screens and in the ledger.")
@click.option("--role", type=click.Choice(["worker", "supervisor", "admin"]), default="worker")
@click.option("--badge", default=None, help="Badge barcode (0-9, A-Z) for scan sign-in.")
@click.option("--warehouse", default=None, help="Code of the warehouse the user works in "
              "(the floor lists its work only); default: every warehouse.")
@click.password_option("--password", prompt="Password or PIN")
def create_user(username, name, role, badge, warehouse, password):
    """Create a user with a hashed password or PIN."""
    try:
        user = users.create_user(username, name, role, password, badge, warehouse=warehouse)
    except StockError as error:
        raise click.ClickException(error.message) from None
    click.echo(f"Created {user.role.value} {user.username}.")


@click.command("load-demo")
@click.option("--if-empty", is_flag=True, help="Do nothing if the database already has data.")
def load_demo(if_empty):
    """Load the demo warehouse (bins, items, opening stock, users, documents)."""
    if if_empty and not demo.is_empty():
        click.echo("The database already has a warehouse: the demo was not loaded.")
        return
    try:
        loaded = demo.load()
    except demo.DemoError as error:
        raise click.ClickException(
            f"{error} The demo loads only into an empty database; nothing was changed."
        ) from None
    click.echo(
        f"Loaded the demo warehouse in {loaded.seconds:.1f} s: {loaded.bins} bins, "
        f"{loaded.items} items, {loaded.movements} opening stock movements, "
        f"{loaded.receipts} receipts, {loaded.pick_lists} pick lists, "
        f"{loaded.count_tasks} count tasks."
    )
    names = ", ".join(u[0] for u in demo.DEMO_USERS if u[0] not in loaded.users_kept)
    if names:
        click.echo(f"Demo users: {names} (passwords in the README).")
    if loaded.users_kept:
        click.echo(f"Kept existing users as they were: {', '.join(loaded.users_kept)}.")


def _report(result: csvio.ImportResult, what: str) -> None:
    """Print the import's counts, or every row error and fail (exit status 1)."""
    if not result.ok:
        for error in result.errors:
            click.echo(str(error), err=True)
        rows = len({e.row for e in result.errors})
        raise click.ClickException(
            f"{len(result.errors)} error(s) in {rows} row(s); no {what} were imported."
        )
    click.echo(
        f"Imported {what}: {result.created} created, {result.updated} updated, "
        f"{result.unchanged} unchanged."
    )


@click.command("import-items")
@click.argument("file", type=click.File("rb"))
def import_items(file):
    """Create and update items from a CSV file (all rows or none)."""
    _report(csvio.import_items(file), "items")


@click.command("export-items")
@click.argument("file", type=click.File("w", encoding="utf-8"), default="-")
def export_items(file):
    """Write all items as CSV to FILE (default: standard output)."""
    n = csvio.export_items(file)
    if file.name != "<stdout>":
        click.echo(f"Exported {n} items to {file.name}.")


@click.command("import-locations")
@click.argument("file", type=click.File("rb"))
@click.option(
    "--new-warehouses", is_flag=True, help="Create warehouses the file names that do not exist."
)
def import_locations(file, new_warehouses):
    """Create and update bins from a CSV file (all rows or none)."""
    _report(csvio.import_locations(file, new_warehouses), "bins")


@click.command("export-locations")
@click.argument("file", type=click.File("w", encoding="utf-8"), default="-")
def export_locations(file):
    """Write all bins as CSV to FILE (default: standard output), in walking order."""
    n = csvio.export_locations(file)
    if file.name != "<stdout>":
        click.echo(f"Exported {n} bins to {file.name}.")
