"""Customer-support prose for the bulk seeder: titles, post bodies, names and categories.

Benchmarks and search need text that looks like a real support community (varied words, code
spans, lists, links), not lorem ipsum, so that rendering, indexing and page weight are realistic.
Everything is driven by a `random.Random`, so a seed gives the same world every time.
"""
from __future__ import annotations

import random
import re

CATEGORIES = [
    ("General discussion", "Anything about the product that fits nowhere else."),
    ("Getting started", "First steps, setup questions and onboarding."),
    ("Billing and invoices", "Plans, payments, receipts and refunds."),
    ("Account and sign-in", "Passwords, two-factor codes and profile settings."),
    ("Integrations", "Connecting the product to the tools you already use."),
    ("API and webhooks", "Building on the REST API and receiving events."),
    ("Mobile apps", "The iOS and Android apps."),
    ("Desktop app", "The Windows, macOS and Linux clients."),
    ("Reporting and dashboards", "Charts, exports and scheduled reports."),
    ("Notifications", "Email, push and in-app alerts."),
    ("Data import and export", "Moving data in and out, CSV files and backups."),
    ("Security and privacy", "Permissions, audit logs and compliance."),
    ("Performance", "Slow pages, timeouts and large workspaces."),
    ("Feature requests", "Ideas for what we should build next."),
    ("Bug reports", "Something broken? Tell us how to reproduce it."),
    ("Release notes", "What changed in each version."),
    ("Tips and tricks", "Shortcuts and workflows from other customers."),
    ("Administration", "Managing users, teams and workspace settings."),
    ("Automation", "Rules, triggers and scheduled tasks."),
    ("Search", "Finding things quickly."),
    ("Localization", "Languages, time zones and date formats."),
    ("Accessibility", "Screen readers, keyboard use and contrast."),
    ("Self-hosting", "Running your own installation."),
    ("Partners", "Resellers and implementation partners."),
    ("Education", "Using the product in schools and universities."),
    ("Nonprofits", "Programs and discounts for nonprofits."),
    ("Beta program", "Early access builds and feedback."),
    ("Customer success stories", "How teams use the product."),
    ("Staff lounge", "Internal notes for the support team."),
    ("Announcements", "News from the team."),
]

FIRST_NAMES = (
    "Ada Alan Amara Anna Arjun Beatriz Ben Carla Chen Chloe Daniel Dara Diego Elena Emma Farah Felix "
    "Gabriel Grace Hana Hugo Ines Isaac Jana Jonas Kai Karin Leila Leo Lina Lucas Maya Mateo Mei Mia "
    "Nadia Noah Olga Omar Pablo Priya Rafael Rosa Sam Sara Sofia Tariq Tom Uma Victor Wei Yara Zoe"
).split()
LAST_NAMES = (
    "Adams Ahmed Almeida Berg Brown Castro Cohen Costa Dubois Evans Fischer Garcia Gomez Hansen Ito "
    "Jensen Kim Kowalski Larsen Lee Lopez Martin Meyer Moreau Murphy Nakamura Novak Okafor Olsen Patel "
    "Petrov Quinn Rossi Santos Schmidt Silva Singh Smith Suzuki Tanaka Torres Tran Weber Wilson Wong "
    "Yilmaz Young Zhang"
).split()

_FEATURES = (
    "the dashboard|the export|CSV import|the invoice page|single sign-on|the mobile app|two-factor "
    "codes|the webhook|the REST API|scheduled reports|the search box|email notifications|the calendar "
    "sync|user roles|the audit log|the desktop client|the Slack integration|the billing portal|custom "
    "fields|the onboarding checklist|saved filters|the activity feed|file attachments|the sandbox"
).split("|")
_SYMPTOMS = (
    "stopped working|is very slow|shows a blank page|returns an error 500|times out|logs me out|"
    "duplicates every entry|ignores the time zone|sends two emails|loses my changes|won't load|"
    "shows the wrong totals|rejects my password|fails without a message"
).split("|")
_CONTEXTS = (
    "after the last update|since this morning|on Safari only|for new team members|when I use the "
    "API|on large workspaces|after I changed plans|behind our corporate proxy|on Android 14|in the "
    "EU region|with more than 10,000 rows|when two people edit at once"
).split("|")
_QUESTIONS = [
    "How do I {verb} {feature}?", "Can I {verb} {feature} for the whole team?",
    "Is there a way to {verb} {feature} automatically?", "Best way to {verb} {feature}?",
    "{Feature} {symptom} {context}", "{Feature} {symptom}", "Why {feature} {symptom} {context}?",
    "Feature request: {verb} {feature} in bulk", "Question about {feature} limits",
]
_VERBS = "set up|export|reset|disable|configure|share|automate|rename|migrate|restore|audit|filter".split("|")
_OPENERS = [
    "Hi everyone,", "Hello,", "Hi support team,", "Good morning,", "Hey folks,", "Thanks for the quick reply.",
    "I have the same problem here.", "Quick update:", "Following up on this.", "Great question!",
]
_SENTENCES = [
    "We rolled out {feature} to about {n} people last week and it went well until now.",
    "When I open {feature} it {symptom} {context}.",
    "I already cleared the cache and tried a private window, no change.",
    "Our admin checked the settings page and everything looks correct.",
    "Is this a known issue, or is something wrong with our configuration?",
    "The error message says `{code}`, which does not tell me much.",
    "You can work around it by going to **Settings > {Feature}** and saving once more.",
    "This was fixed in version {major}.{minor}, so updating should help.",
    "Make sure the token has the *read* and *write* scopes, otherwise the request is rejected.",
    "We process around {n} records a day, so performance matters a lot to us.",
    "Could you share the request id from the response headers? It helps us find the logs.",
    "I opened a ticket as well, number #{ticket}.",
    "The documentation describes {feature} but skips the part about permissions.",
    "It works for me on the web, but {feature} {symptom} in the mobile app.",
    "Marking this as solved, thanks to everyone who helped!",
    "Our finance team needs this before the end of the quarter.",
    "A staff member confirmed it and the fix is scheduled for the next release.",
    "Try signing out everywhere and signing in again, that refreshes the session.",
]
_CODES = ["ERR_TIMEOUT", "invalid_grant", "403 Forbidden", "rate_limited", "E1042", "quota_exceeded"]
_LIST_ITEMS = [
    "Open {feature}.", "Click **Export** in the top right corner.", "Pick the date range you need.",
    "Wait for the email with the download link.", "Check the audit log for the change.",
    "Ask your admin to grant the *Manager* role.",
]


def _fill(template: str, rng: random.Random) -> str:
    feature = rng.choice(_FEATURES)
    return template.format(
        feature=feature, Feature=feature[0].upper() + feature[1:], verb=rng.choice(_VERBS),
        symptom=rng.choice(_SYMPTOMS), context=rng.choice(_CONTEXTS), code=rng.choice(_CODES),
        n=rng.choice([12, 40, 250, 1200, 5000]), major=rng.randint(2, 9), minor=rng.randint(0, 30),
        ticket=rng.randint(10_000, 99_999),
    )


def title(rng: random.Random) -> str:
    return _fill(rng.choice(_QUESTIONS), rng)[:150]


def body(rng: random.Random) -> str:
    """A Markdown post body of a few short paragraphs, sometimes with a numbered list."""
    paragraphs = [rng.choice(_OPENERS)]
    for _ in range(rng.randint(1, 3)):
        paragraphs.append(" ".join(_fill(rng.choice(_SENTENCES), rng) for _ in range(rng.randint(1, 3))))
    if rng.random() < 0.25:
        steps = rng.sample(_LIST_ITEMS, 3)
        paragraphs.append("\n".join(f"{i}. {_fill(step, rng)}" for i, step in enumerate(steps, 1)))
    return "\n\n".join(paragraphs)


def person(rng: random.Random) -> tuple[str, str]:
    return rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)


def slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:80] or "thread"
