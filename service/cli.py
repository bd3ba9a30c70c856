"""Operations CLI: `flask --app wsgi clinic create …`, `demo seed`, `jobs run`, `jobs tick`."""

from __future__ import annotations

import os
import sys

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from service.clock import now_utc
from service.config import local_address
from service.errors import DomainError
from service.extensions import db

clinic_cli = AppGroup("clinic", help="Manage clinics.")
demo_cli = AppGroup("demo", help="Demo data.")


@clinic_cli.command("create")
@click.option("--name", required=True, help="The clinic's name.")
@click.option("--timezone", "time_zone", required=True, help="IANA time zone, e.g. America/Denver.")
@click.option("--admin-email", required=True, help="Email of the first admin.")
@click.option("--admin-password", required=True, help="Password of the first admin (15+ characters).")
@click.option("--admin-name", default="Clinic admin", show_default=True)
def create_clinic_command(name, time_zone, admin_email, admin_password, admin_name):
    """Create a clinic with its first admin; prints the clinic's id."""
    from service.domain.clinics import create_clinic

    try:
        clinic, _ = create_clinic(
            db.session,
            name=name,
            time_zone=time_zone,
            admin_email=admin_email,
            admin_password=admin_password,
            admin_name=admin_name,
            now=now_utc(),
        )
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        where = f" ({exc.field})" if exc.field else ""
        raise click.ClickException(f"{exc.message}{where}") from None
    click.echo(str(clinic.id))


@demo_cli.command("seed")
@click.option("--patients", "patient_count", default=12, show_default=True, help="How many patients.")
@click.option("--seed", "random_seed", default=7, show_default=True, help="Random seed (same data each time).")
@click.option("--if-missing", is_flag=True, help="Do nothing but print how to sign in when the demo clinic exists.")
def seed_command(patient_count, random_seed, if_missing):
    """Fill a demo clinic with staff, patients, phones and infusions; prints how to sign in."""
    from service.demo import demo_clinic_exists, seed

    if if_missing and demo_clinic_exists(db.session):
        patient_count = 0
    summary = seed(
        db.session, patient_count=patient_count, random_seed=random_seed, now=now_utc(), progress=click.progressbar
    )
    click.echo("")
    click.echo(
        f"Demo clinic '{summary['clinic_name']}' is ready ({summary['patients']} patients, "
        f"{summary['infusions']} infusions, {summary['adverse_events']} adverse events)."
    )
    address = local_address(current_app.config["PORT"])
    click.echo(f"Sign in to the console at {address}/console/ (or the API at {address}/docs), as any of:")
    for email, role in summary["staff"]:
        click.echo(f"  {role:<10} {email}")
    click.echo(f"  password:  {summary['password']}")
    click.echo(
        f"Pair a phone (for {summary['enrollment_patient']}): open {address}/app/#code={summary['enrollment_code']} "
        f"in its browser (the companion app), or POST /api/v1/auth/enroll with code {summary['enrollment_code']}."
    )
    if summary.get("crisis_patient"):
        click.echo(
            f"The crisis loop: {summary['crisis_patient']} reported suicidal thoughts 50 min ago (the on-call nurse "
            "was paged in the same second); the nurse acknowledged, and new words 20 min ago reopened the flag and "
            "paged again. It leads the queue, marked 'New since acknowledged'."
        )
    if summary.get("long_term_patient"):
        click.echo(
            f"Maintenance: {summary['long_term_patient']} has been on maintenance for three months and answered "
            "the quarterly long-term check-in (bladder, memory, craving, use outside the clinic)."
        )
    click.echo(
        f"{summary['checkins_scheduled']} check-ins are scheduled"
        + (
            f"; {summary['fresh_infusion_patient']} had an infusion 2.5 h ago"
            if summary["fresh_infusion_patient"]
            else ""
        )
        + f". Start the job process to see prompts and escalations in its log: {_flask_command()} --app wsgi jobs run"
    )


def _flask_command() -> str:
    """How to call flask from where the seed ran: the virtualenv's own, when it lives under this folder."""
    script = os.path.join(os.path.dirname(sys.executable), "flask")
    relative = os.path.relpath(script)
    if sys.prefix != sys.base_prefix and os.path.exists(script) and not relative.startswith(".."):
        return relative
    return "flask"


def register(app: Flask) -> None:
    """Attach the CLI groups to the app."""
    app.cli.add_command(clinic_cli)
    app.cli.add_command(demo_cli)
    from jobs.cli import jobs_cli

    app.cli.add_command(jobs_cli)
