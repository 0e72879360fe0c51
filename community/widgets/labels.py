"""Label sets for the embeddable widgets, per language. Every set has the same keys; a count has its
one form ("reply": exactly 1) and its other ("replies"), which embed.js and the frame pick between."""
from __future__ import annotations

LABELS: dict[str, dict[str, str]] = {
    "en": {
        "solved": "Solved questions", "latest": "Latest discussions", "search": "Search the community",
        "ask": "Ask the community", "stats": "Community stats", "search_placeholder": "Type your question",
        "see_all": "See all results", "no_results": "No matching threads yet.", "results": "{n} results", "result": "{n} result",
        "ask_button": "Ask", "ask_prompt": "Can't find an answer? Ask the community.",
        "replies": "{n} replies", "reply": "{n} reply", "verified": "Verified answer", "empty": "Nothing here yet.",
        "answered": "{pct}% of questions answered", "median": "median first response {time}",
        "visit": "Visit the community", "question_label": "Your question",
    },
    "de": {
        "solved": "Gelöste Fragen", "latest": "Neueste Diskussionen", "search": "Community durchsuchen",
        "ask": "Frag die Community", "stats": "Community-Statistik", "search_placeholder": "Deine Frage eingeben",
        "see_all": "Alle Ergebnisse anzeigen", "no_results": "Noch keine passenden Themen.", "results": "{n} Ergebnisse", "result": "{n} Ergebnis",
        "ask_button": "Fragen", "ask_prompt": "Keine Antwort gefunden? Frag die Community.",
        "replies": "{n} Antworten", "reply": "{n} Antwort", "verified": "Bestätigte Antwort", "empty": "Noch nichts hier.",
        "answered": "{pct}% der Fragen beantwortet", "median": "mittlere erste Antwort {time}",
        "visit": "Zur Community", "question_label": "Deine Frage",
    },
    "fr": {
        "solved": "Questions résolues", "latest": "Dernières discussions", "search": "Rechercher dans la communauté",
        "ask": "Demandez à la communauté", "stats": "Statistiques", "search_placeholder": "Saisissez votre question",
        "see_all": "Voir tous les résultats", "no_results": "Aucun sujet correspondant.", "results": "{n} résultats", "result": "{n} résultat",
        "ask_button": "Demander", "ask_prompt": "Pas de réponse ? Demandez à la communauté.",
        "replies": "{n} réponses", "reply": "{n} réponse", "verified": "Réponse vérifiée", "empty": "Rien pour l'instant.",
        "answered": "{pct} % des questions ont une réponse", "median": "première réponse médiane {time}",
        "visit": "Visiter la communauté", "question_label": "Votre question",
    },
    "es": {
        "solved": "Preguntas resueltas", "latest": "Últimas conversaciones", "search": "Buscar en la comunidad",
        "ask": "Pregunta a la comunidad", "stats": "Estadísticas", "search_placeholder": "Escribe tu pregunta",
        "see_all": "Ver todos los resultados", "no_results": "Aún no hay temas que coincidan.", "results": "{n} resultados", "result": "{n} resultado",
        "ask_button": "Preguntar", "ask_prompt": "¿No encuentras respuesta? Pregunta a la comunidad.",
        "replies": "{n} respuestas", "reply": "{n} respuesta", "verified": "Respuesta verificada", "empty": "Aún no hay nada.",
        "answered": "{pct} % de preguntas respondidas", "median": "primera respuesta mediana {time}",
        "visit": "Visitar la comunidad", "question_label": "Tu pregunta",
    },
}

LANGUAGE_NAMES = {"en": "English", "de": "Deutsch", "fr": "Français", "es": "Español"}
