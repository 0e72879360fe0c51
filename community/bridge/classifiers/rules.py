"""The classifier that ships with the product: customer-support cue rules plus VADER sentiment.

VADER alone reads sentiment, not intent: "on hold 2 hours 54 minutes" has no negative word, and
"thanks for making me miss my flight" reads as positive. Posts addressed to a brand are mostly
about a problem, so the rules below add evidence for the things support teams see every day
(waiting, cancellations, lost items, money, unanswered contact, repeated failure) and take it
away for clear thanks or a plain question. Cues are matched on lower-cased text with @handles and
links removed, and each must make sense for any support desk: nothing names an airline, route or
airport, though the list was grown by reading the airline tweets VADER got wrong.

The weights are round values from a coarse grid on the airline tweets (bench/bridge_bench.py has
the 5-fold figures). The bias is held below zero so a post with no evidence either way is not a
complaint: 63% of those tweets are negative, so "everything is a complaint" already scores F1
0.77 there, and a rule leaning on that base rate would flood a calmer brand's triage queue.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import cache
from typing import Iterable

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from .base import Classification

VERSION = "rules-vader-1"


def _cues(*patterns: str) -> re.Pattern[str]:
    # Matched against lower-cased text: cheaper than IGNORECASE on long alternations.
    return re.compile(r"\b(?:" + "|".join(patterns) + r")")


# Things going wrong with a service, wherever it is sold. Prefix matches ("cancel" covers cancelled,
# cancellation) keep the lists short.
_PROBLEM = _cues(
    # waiting, and not getting through to anyone
    r"still (?:waiting|no|not|haven'?t|have not|can'?t|cannot|stuck|on hold)", r"waiting (?:for|on|since)",
    r"wait(?:ed|ing)? \d+", r"on hold", r"hold for", r"forever", r"all day", r"over an? (?:hour|day|week)",
    r"\d+\s?(?:hours?|hrs?|mins?|minutes|days?)\b", r"hung up", r"hang(?:s|ing)? up", r"disconnect",
    r"busy signal", r"get through", r"pick up the phone", r"call(?:ed|ing)? back", r"real person", r"human\b",
    r"who do i", r"no one", r"nobody", r"no (?:response|answer|reply)", r"(?:haven'?t|have not|not|never) heard",
    r"heard back", r"never (?:got|received|arrived|came|heard)",
    # orders, bookings and deliveries undone or late
    r"cancel", r"delay", r"late\b", r"rebook", r"reschedul", r"overbook", r"oversold", r"stuck", r"stranded",
    r"miss(?:ed)? (?:my|the|our|a)\b",
    # things lost or broken
    r"lost\b", r"missing", r"misplaced", r"damaged", r"broken", r"where (?:is|are) (?:my|our)",
    # money
    r"refund", r"charged", r"overcharg", r"fees?\b", r"ripoff", r"rip off", r"expired", r"compensat",
    # things that do not work
    r"not (?:working|work|helpful|happy|impressed|acceptable|ok\b|okay)", r"doesn'?t work",
    r"didn'?t (?:work|get|receive|arrive|show)", r"won'?t (?:let|work|answer|help)",
    r"can'?t (?:get|even|find|believe|reach|talk|speak|seem)", r"unable to", r"not able to",
    r"keeps? (?:telling|saying|hanging|getting|changing|crashing)", r"wrong\b", r"error\b", r"problem", r"issue",
    r"unresolved", r"no (?:way|help|info|information|update|updates|communication|available|one|longer)",
    # repetition, broken promises, and asking for amends
    r"yet again", r"again\?", r"supposed to", r"expected (?:more|better)", r"do better", r"first and last",
    r"so done", r"thanks for nothing", r"ordeal", r"complain", r"excuse", r"apolog",
)

# Openly angry or contemptuous wording that VADER's lexicon misses or under-weights. "why" is here
# because at a support desk a why-question is nearly always a challenge ("why was I charged?").
_ANGER = _cues(
    r"worst", r"worse", r"bad\b", r"poor\b", r"terrible", r"horrible", r"awful", r"atrocious", r"appalling",
    r"ridiculous", r"unacceptable", r"pathetic", r"disgust", r"disappoint", r"frustrat", r"furious", r"outrage",
    r"annoy", r"upset", r"angry", r"mad\b", r"not happy", r"unhappy", r"rude", r"incompeten", r"useless",
    r"sucks?\b", r"crap", r"joke\b", r"scam", r"lies\b", r"lied\b", r"screw", r"bs\b", r"wtf", r"smh", r"ugh",
    r"fail", r"\w+fail\b", r"ruin", r"nightmare", r"mess\b", r"shame", r"hate\b", r"sick of", r"fed up",
    r"enough\b", r"never again", r"never (?:fly|flying|use|using|buy|buying|book|order|shop)", r"seriously",
    r"really\?", r"how hard", r"hard to believe", r"why\b",
)

# Thanks and compliments. "thanks for" is also the start of sarcasm ("thanks for losing my bag"),
# which the problem cues then outweigh.
_PRAISE = _cues(
    r"thank", r"thx", r"\bty\b", r"love", r"great", r"amazing", r"awesome", r"excellent", r"best\b",
    r"appreciate", r"kudos", r"well done", r"good job", r"nice\b", r"fantastic", r"wonderful", r"perfect",
    r"helpful", r"impressed", r"glad", r"happy", r"cheers",
)

_QUESTION = _cues(
    r"how (?:do|can|does|to|long|much|many)", r"can (?:you|i|we|someone)", r"could (?:you|i|we)", r"is there",
    r"are there", r"do you", r"does (?:the|it|this|your)", r"will (?:you|i|there|the|my)",
    r"what(?:'s| is| are| time| do)",
    r"when (?:is|will|does|do|can)", r"where (?:is|do|can)", r"which\b", r"any (?:way|chance|update|news|info)",
    r"wondering", r"is it possible",
)

# VADER was built on general social media, where "help", "please" or "support" are warm words. In a
# message to a support desk they are how people ask for something ("please help, on hold 2 hours"),
# and "customer care" or "free bag" describe the service, not a feeling, so they count as neutral.
# "joke" is a compliment in VADER but an insult about a service ("your service is a joke").
_SUPPORT_LEXICON = {
    "help": 0.0, "helps": 0.0, "helping": 0.0, "please": 0.0, "pls": 0.0, "plz": 0.0, "care": 0.0,
    "support": 0.0, "supported": 0.0, "free": 0.0, "credit": 0.0, "ok": 0.0, "okay": 0.0, "sure": 0.0,
    "yes": 0.0, "hope": 0.0, "chance": 0.0, "want": 0.0, "promise": 0.0, "joke": -1.5,
}

_STRIP = re.compile(r"@\w+|https?://\S+")
_SHOUTING = re.compile(r"\b[A-Z]{4,}\b")
_EMPHASIS = re.compile(r"!!|\?!|!\?|\?\?")


@dataclass(frozen=True)
class _Evidence:
    problem: int
    anger: int
    praise: int
    question: int
    emphasis: bool
    compound: float


@cache
def shared_rules() -> "RulesClassifier":
    # Built on first use, then shared: it holds only the VADER lexicon and compiled patterns.
    return RulesClassifier()


def _sigmoid(value: float) -> float:
    return 1.0 / (1.0 + math.exp(-value))


class RulesClassifier:
    """Cue rules combined with VADER's compound score. Stateless after construction."""

    version = VERSION

    def __init__(self) -> None:
        self._vader = SentimentIntensityAnalyzer()
        self._vader.lexicon.update(_SUPPORT_LEXICON)

    def classify(self, text: str) -> Classification:
        return self._decide(self._evidence(text))

    def classify_many(self, texts: Iterable[str]) -> list[Classification]:
        # Reposts and copy-paste complaints repeat word for word; score each distinct text once.
        seen: dict[str, Classification] = {}
        return [seen.get(text) or seen.setdefault(text, self.classify(text)) for text in texts]

    def cue_features(self, text: str) -> list[float]:
        """The evidence as numbers in -1..1, for the trained model to weigh as it sees fit."""
        evidence = self._evidence(text)
        return [
            evidence.compound,
            min(evidence.problem, 3) / 3,
            min(evidence.anger, 3) / 3,
            min(evidence.praise, 2) / 2,
            min(evidence.question, 2) / 2,
            float(evidence.emphasis),
        ]

    def _evidence(self, text: str) -> _Evidence:
        plain = _STRIP.sub(" ", text or "")
        compound = self._vader.polarity_scores(plain)["compound"]
        # Capitals are shouting only in an unhappy post; "THANK YOU SO MUCH" is enthusiasm.
        shouting = len(_SHOUTING.findall(plain))
        lowered = plain.lower()
        return _Evidence(
            problem=len(_PROBLEM.findall(lowered)),
            anger=len(_ANGER.findall(lowered)) + (shouting if compound < 0 else 0),
            praise=len(_PRAISE.findall(lowered)),
            question=len(_QUESTION.findall(lowered)) + plain.count("?"),
            emphasis=bool(_EMPHASIS.search(plain)),
            compound=compound,
        )

    def _decide(self, evidence: _Evidence) -> Classification:
        complaint_score = _sigmoid(_complaint_logit(evidence))
        if complaint_score >= 0.5:
            return Classification("complaint", round(complaint_score, 4), VERSION, round(complaint_score, 4))
        label, confidence = _non_complaint_label(evidence)
        score = (1.0 - complaint_score) * confidence
        return Classification(label, round(score, 4), VERSION, round(complaint_score, 4))


def _complaint_logit(evidence: _Evidence) -> float:
    # Capped counts: a long rant is no more a complaint than a short one, and one cue list
    # must not drown out the others.
    problem = min(evidence.problem, 3)
    anger = min(evidence.anger, 3)
    praise = min(evidence.praise, 2)
    logit = -0.25 + 1.5 * problem + 2.0 * anger - 1.0 * praise - 1.5 * evidence.compound
    if evidence.emphasis:
        logit += 1.0
    # A question asked angrily ("why is no one answering?") leans complaint; a calm one leans away.
    if evidence.question and evidence.compound < -0.05:
        logit += 1.0
    elif evidence.question and evidence.compound >= 0:
        logit -= 0.5
    return logit


def _non_complaint_label(evidence: _Evidence) -> tuple[str, float]:
    # How sure the label is once "not a complaint" is settled: an explicit cue beats mere tone.
    if evidence.praise or evidence.compound >= 0.5:
        return "praise", 0.95 if evidence.praise else 0.8
    if evidence.question:
        return "question", 0.9
    return "other", 0.7
