"""`flask bridge train | classifiers | use | classify`: the post classifier of the X bridge."""
from __future__ import annotations

import json
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from ...errors import ServiceError
from . import bridge_cli

_CSV = click.Path(exists=True, dir_okay=False, path_type=Path)


def _fail(error: ServiceError) -> click.ClickException:
    return click.ClickException(error.message)


@bridge_cli.command("train")
@click.argument("labels_csv", type=_CSV)
@click.option("--name", help="Name to save the model under (default: tfidf-<UTC time>).")
@with_appcontext
def train(labels_csv: Path, name: str | None) -> None:
    """Train a TF-IDF + logistic regression classifier from LABELS_CSV (columns text, label) and use it."""
    from ..classify import train_from_csv

    try:
        card = train_from_csv(current_app.instance_path, labels_csv, name)
    except ServiceError as error:
        raise _fail(error) from None
    counts = ", ".join(f"{label} {count}" for label, count in card.label_counts.items())
    click.echo(f"trained {card.name} ({card.version}) on {card.rows} posts: {counts}")
    click.echo(_validation_line(card.cross_validation))
    click.echo(f"{card.name} is now the active classifier")


def _validation_line(validation: dict | None) -> str:
    if not validation:
        return "cross-validation: skipped (fewer than 2 examples of some label)"
    complaint = validation.get("complaint")
    figures = f"accuracy {validation['accuracy']:.3f}"
    if complaint:
        figures = (
            f"complaint precision {complaint['precision']:.3f} recall {complaint['recall']:.3f} "
            f"F1 {complaint['f1']:.3f} (±{validation['complaint_f1_std']:.3f}), " + figures
        )
    return f"{validation['folds']}-fold cross-validation: {figures}"


@bridge_cli.command("classifiers")
@with_appcontext
def classifiers() -> None:
    """List the classifiers; the active one is marked with *."""
    from ..classify import list_classifiers

    try:
        listings = list_classifiers(current_app.instance_path)
    except ServiceError as error:
        raise _fail(error) from None
    for listing in listings:
        marker = "*" if listing.active else " "
        details = f"trained {listing.trained_at} on {listing.rows} posts" if listing.trained_at else "built in"
        if listing.complaint_f1 is not None:
            details += f", complaint F1 {listing.complaint_f1:.3f} (cross-validated)"
        click.echo(f"{marker} {listing.name:<24} {listing.version:<40} {details}")
    if not any(listing.active for listing in listings):
        click.echo("the active classifier is missing: the rules are used until `flask bridge use NAME`", err=True)


@bridge_cli.command("use")
@click.argument("name")
@with_appcontext
def use(name: str) -> None:
    """Make NAME (a trained classifier, or `rules`) the active classifier."""
    from ..classify import use_classifier

    try:
        version = use_classifier(current_app.instance_path, name)
    except ServiceError as error:
        raise _fail(error) from None
    click.echo(f"{name} ({version}) is now the active classifier")


@bridge_cli.command("classify")
@click.argument("posts_csv", type=_CSV)
@click.option("--model", help="Classifier to use (a trained name or `rules`; default: the active one).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@with_appcontext
def classify(posts_csv: Path, model: str | None, as_json: bool) -> None:
    """Classify the posts in POSTS_CSV (a `text` column; an id column is kept)."""
    from ..classify import classify_csv

    try:
        results = classify_csv(current_app.instance_path, posts_csv, model)
    except ServiceError as error:
        raise _fail(error) from None
    for record in results:
        click.echo(json.dumps(record, ensure_ascii=False) if as_json else _plain_line(record))


def _plain_line(record: dict) -> str:
    where = record.get("id", f"row {record['row']}")
    return f"{where}\t{record['label']}\t{record['score']:.3f}"
