"""The X bridge's post classifier: rules + VADER, the trained TF-IDF model, the CLI, and quality
on the real airline data. None of this needs the database."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from community import create_app
from community.bridge.classifiers.evaluation import read_sentiment_csv
from community.bridge.classifiers.metrics import complaint_metrics
from community.bridge.classifiers.trained import cross_validate
from community.bridge.classify import (
    LABELS,
    active_classifier,
    get_classifier,
    list_classifiers,
    rules_classifier,
    train_from_csv,
    use_classifier,
)
from community.errors import ValidationFailed

from ..conftest import shared_data

CLEAR_EXAMPLES = {
    "complaint": [
        "Still waiting for my refund after three weeks. No one answers the phone.",
        "My order was cancelled without any notice and I was charged twice!!",
        "Worst customer service ever, never again.",
        "I've been on hold for 2 hours, this is ridiculous",
        "You lost my bag and nobody will tell me where it is",
        "Why is my delivery delayed again? Unacceptable.",
        "The app keeps crashing and support never replied to my email",
    ],
    "question": [
        "How do I change the email address on my account?",
        "Is there a way to download my invoices?",
        "Can you tell me when the new store opens?",
        "Do you ship to Canada?",
    ],
    "praise": [
        "Thank you so much, the support team sorted it out in minutes!",
        "Love the new app update, great job!",
        "Amazing service today, thanks Anna",
        "Kudos to the team for the fast delivery",
    ],
    "other": [
        "Heading to the conference next week.",
        "Our office moves to the third floor in March.",
        "RT: product launch event at 5pm http://example.com/launch",
    ],
}
CLEAR_CASES = [(label, text) for label, texts in CLEAR_EXAMPLES.items() for text in texts]


# --- rules + VADER --------------------------------------------------------------------------


@pytest.mark.parametrize(("expected", "text"), CLEAR_CASES)
def test_rules_label_clear_examples(expected, text):
    result = rules_classifier().classify(text)

    assert result.label == expected
    assert result.version == "rules-vader-1"
    assert 0.0 <= result.score <= 1.0 and 0.0 <= result.complaint_score <= 1.0
    assert (result.complaint_score >= 0.5) == (expected == "complaint")


def test_rules_sarcastic_thanks_is_a_complaint():
    # VADER alone scores this positive; the support cues must outweigh the "thanks".
    result = rules_classifier().classify("Thanks for cancelling my order and keeping me on hold for 2 hours")
    assert result.label == "complaint"


def test_rules_classify_many_matches_classify_and_keeps_order():
    texts = [text for _label, text in CLEAR_CASES] + ["", CLEAR_CASES[0][1]]
    batch = rules_classifier().classify_many(texts)

    assert [result.label for result in batch] == [rules_classifier().classify(text).label for text in texts]
    assert batch[-1] == batch[0]


# --- trained TF-IDF + logistic regression -----------------------------------------------------

TRAINING_ROWS = {
    "complaint": [
        "my order never arrived and nobody answers", "charged twice and still no refund",
        "worst support ever, waiting for days", "the package is lost and you don't care",
        "cancelled my order without telling me, terrible", "on hold for an hour again, awful service",
        "broken item delivered and no reply to my emails", "delayed again, this is unacceptable",
    ],
    "question": [
        "how do I reset my password?", "is there a student discount?", "can you ship to Norway?",
        "what are your opening hours on Sunday?", "how do I update my billing address?",
        "do you have the blue one in size 10?", "where can I find my invoice?", "is the app available on tablets?",
    ],
    "praise": [
        "thank you so much, great help", "love the new design, amazing work", "fantastic service, thanks team",
        "great job on the quick delivery", "you are the best, thank you", "amazing support, really appreciate it",
        "love it, thanks a lot", "wonderful experience, great staff",
    ],
    "other": [
        "reading the annual report today", "our team meets on monday", "new office opening in march",
        "the conference starts at nine", "sharing the article from the weekend", "photos from the launch event",
        "quarterly numbers come out friday", "the newsletter goes out next week",
    ],
}
HELD_OUT = {
    "complaint": "still no refund, nobody answers, terrible service",
    "question": "how do I change my delivery address?",
    "praise": "thank you, amazing help from the team",
    "other": "the annual conference starts in march",
}


def _write_labels(path: Path, rows: dict[str, list[str]]) -> Path:
    lines = ["text,label"] + [f'"{text}",{label}' for label, texts in rows.items() for text in texts]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def trained_instance(tmp_path_factory):
    instance = tmp_path_factory.mktemp("instance")
    labels_csv = _write_labels(instance.parent / "labels.csv", TRAINING_ROWS)
    card = train_from_csv(instance, labels_csv, name="small")
    return instance, card


def test_training_makes_the_model_active_and_records_its_version(trained_instance):
    instance, card = trained_instance

    classifier = active_classifier(instance)
    assert classifier.version == card.version and card.version.startswith("tfidf-lr-")
    assert json.loads((instance / "classifiers" / "active.json").read_text())["name"] == "small"
    saved = json.loads((instance / "classifiers" / "small.json").read_text())
    assert saved["label_counts"] == {label: 8 for label in sorted(LABELS)}
    assert saved["cross_validation"]["folds"] == 5


@pytest.mark.parametrize(("expected", "text"), sorted(HELD_OUT.items()))
def test_trained_model_classifies_held_out_examples(trained_instance, expected, text):
    instance, card = trained_instance
    result = get_classifier(instance, "small").classify(text)

    assert result.label == expected
    assert result.version == card.version
    assert 0.0 <= result.score <= 1.0 and 0.0 <= result.complaint_score <= 1.0


def test_classifier_listing_marks_the_active_one(trained_instance):
    instance, _card = trained_instance
    listing = {entry.name: entry for entry in list_classifiers(instance)}

    assert set(listing) == {"rules", "small"}
    assert listing["small"].active and not listing["rules"].active


def test_instance_without_models_uses_the_rules(tmp_path):
    assert active_classifier(tmp_path).version == "rules-vader-1"
    assert active_classifier({"INSTANCE_PATH": str(tmp_path)}).version == "rules-vader-1"


def test_training_refuses_a_path_like_name(tmp_path):
    labels_csv = _write_labels(tmp_path / "labels.csv", TRAINING_ROWS)
    with pytest.raises(ValidationFailed, match="invalid classifier name"):
        train_from_csv(tmp_path / "instance", labels_csv, name="../evil")
    assert not (tmp_path / "evil.joblib").exists()


# --- CLI --------------------------------------------------------------------------------------


@pytest.fixture
def cli(tmp_path):
    app = create_app(
        {
            "TESTING": True,
            "INSTANCE_PATH": str(tmp_path / "instance"),
            "DATABASE_URL": f"sqlite:///{tmp_path / 'unused.db'}",
            "SECRET_KEY": "test-secret",
            "LOG_LEVEL": "WARNING",
        }
    )
    runner = app.test_cli_runner()
    return lambda *args: runner.invoke(args=["bridge", *map(str, args)])


def test_cli_train_list_use_and_classify(cli, tmp_path):
    labels_csv = _write_labels(tmp_path / "labels.csv", TRAINING_ROWS)

    trained = cli("train", labels_csv, "--name", "shop")
    assert trained.exit_code == 0, trained.output
    assert "5-fold cross-validation" in trained.output and "shop is now the active classifier" in trained.output

    listed = cli("classifiers")
    assert [line.split()[:2] for line in listed.output.splitlines()] == [["rules", "rules-vader-1"], ["*", "shop"]]

    switched = cli("use", "rules")
    assert switched.exit_code == 0 and "rules (rules-vader-1) is now the active classifier" in switched.output
    assert cli("classifiers").output.startswith("* rules")

    posts = tmp_path / "posts.csv"
    posts.write_text(f"id,text\n1,{HELD_OUT['complaint']}\n", encoding="utf-8")
    with_model = cli("classify", posts, "--model", "shop", "--json")
    assert json.loads(with_model.output)["version"].startswith("tfidf-lr-")
    plain = cli("classify", posts).output.split("\t")
    assert plain[:2] == ["1", "complaint"] and 0.5 <= float(plain[2]) <= 1


def test_cli_use_unknown_name_fails_cleanly(cli):
    result = cli("use", "nosuchmodel")
    assert result.exit_code != 0
    assert "no classifier named 'nosuchmodel'" in result.output
    assert "Traceback" not in result.output


def test_cli_classify_keeps_ids_and_prints_one_json_object_per_line(cli, tmp_path):
    posts = tmp_path / "posts.csv"
    # BOM, CRLF, an 18-digit id, a quoted field with a newline and a bare carriage return inside.
    posts.write_bytes(
        "\ufefftweet_id,text\r\n"
        '570289584061480960,"Still waiting for my refund.\nNo one answers!!"\r\n'
        '570289584061480961,"Thank you, great job\rteam"\r\n'
        "570289584061480962,How do I change my address?\r\n".encode("utf-8")
    )
    result = cli("classify", posts, "--json")

    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in result.output.splitlines()]
    assert [(r["id"], r["label"]) for r in records] == [
        ("570289584061480960", "complaint"),
        ("570289584061480961", "praise"),
        ("570289584061480962", "question"),
    ]
    assert all(r["version"] == "rules-vader-1" and 0 <= r["score"] <= 1 for r in records)


def test_cli_classify_uses_first_id_like_column(cli, tmp_path):
    posts = tmp_path / "posts.csv"
    posts.write_text("author,post_id,text\nann,p-7,worst service ever\n", encoding="utf-8")
    record = json.loads(cli("classify", posts, "--json").output)
    assert record["id"] == "p-7" and record["label"] == "complaint"


def test_cli_classify_without_text_column(cli, tmp_path):
    posts = tmp_path / "posts.csv"
    posts.write_text("id,body\n1,hello\n", encoding="utf-8")
    result = cli("classify", posts, "--json")
    assert result.exit_code != 0
    assert "no 'text' column (found 'id', 'body')" in result.output


BAD_LABEL_FILES = {
    "empty": (b"", "is empty"),
    "header only": (b"text,label\n", "has a header but no rows"),
    "missing label column": (b"text,category\nhello,complaint\n", "no 'label' column"),
    "missing text column": (b"body,label\nhello,complaint\n", "no 'text' column"),
    "unknown label": (b"text,label\nhello,complaint\nbye,angry\n", "line 3: unknown label 'angry'"),
    "empty text": (b"text,label\nhello,complaint\n ,praise\n", "line 3: empty text"),
    "not utf-8": ("text,label\ncaf\u00e9 closed,complaint\n".encode("latin-1"), "is not UTF-8"),
    "one class": (b"text,label\nbad,complaint\nworse,complaint\n", "at least two different labels"),
    "unbalanced quote": (b'text,label\n"unterminated,complaint\nmore,praise\n', "not a readable CSV"),
    "text after quote": (b'text,label\n"quoted"tail,complaint\n', "not a readable CSV file (line 2)"),
}


@pytest.mark.parametrize("case", sorted(BAD_LABEL_FILES))
def test_cli_train_rejects_bad_files_with_a_message(cli, tmp_path, case):
    content, message = BAD_LABEL_FILES[case]
    labels_csv = tmp_path / "labels.csv"
    labels_csv.write_bytes(content)

    result = cli("train", labels_csv)

    assert result.exit_code != 0
    assert message in result.output
    assert isinstance(result.exception, SystemExit) and "Traceback" not in result.output
    assert not (tmp_path / "instance" / "classifiers" / "active.json").exists()


def test_cli_train_missing_file(cli, tmp_path):
    result = cli("train", tmp_path / "nope.csv")
    assert result.exit_code == 2 and "does not exist" in result.output


# --- quality on the real airline data (deterministic) ------------------------------------------


@pytest.fixture(scope="module")
def airline():
    return read_sentiment_csv(shared_data("tweets/airline_sentiment_dev.csv"))


def test_airline_ids_stay_exact_strings(airline):
    assert len(airline.ids) == len(airline.texts) > 4000
    assert all(len(tweet_id) == 18 and tweet_id.isdigit() for tweet_id in airline.ids)


def test_rules_complaint_f1_on_airline_data(airline):
    predicted = [result.label for result in rules_classifier().classify_many(airline.texts)]
    assert complaint_metrics(airline.labels, predicted).f1 >= 0.75


def test_trained_complaint_f1_cross_validated_on_airline_data(airline):
    validation = cross_validate(airline.texts, airline.labels, folds=5)
    assert validation.complaint.f1 >= 0.85


# --- damaged or odd instance folders ------------------------------------------------------------


def test_tiny_training_set_skips_cross_validation(cli, tmp_path):
    labels_csv = tmp_path / "labels.csv"
    labels_csv.write_text("text,label\nworst service ever,complaint\nthank you so much,praise\n", encoding="utf-8")

    result = cli("train", labels_csv, "--name", "tiny")

    assert result.exit_code == 0, result.output
    assert "cross-validation: skipped" in result.output
    card = json.loads((tmp_path / "instance" / "classifiers" / "tiny.json").read_text())
    assert card["cross_validation"] is None and card["label_counts"] == {"complaint": 1, "praise": 1}


def test_classify_with_unknown_model_fails_cleanly(cli, tmp_path):
    posts = tmp_path / "posts.csv"
    posts.write_text("text\nhello\n", encoding="utf-8")
    result = cli("classify", posts, "--model", "ghost")
    assert result.exit_code == 1 and "no classifier named 'ghost'; choose 'rules'" in result.output


def test_damaged_files_fall_back_to_rules_and_refuse_activation(trained_instance, tmp_path):
    instance, _card = trained_instance
    damaged = tmp_path / "damaged"
    (damaged / "classifiers").mkdir(parents=True)
    (damaged / "classifiers" / "small.json").write_bytes((instance / "classifiers" / "small.json").read_bytes())
    (damaged / "classifiers" / "small.joblib").write_bytes(b"not a model")
    (damaged / "classifiers" / "active.json").write_text("{broken", encoding="utf-8")

    assert active_classifier(damaged).version == "rules-vader-1"
    with pytest.raises(ValidationFailed, match="'small' cannot be loaded"):
        use_classifier(damaged, "small")
