"""People: who someone is in the community (profile stats, activity, the user card, avatars shown).

Accounts (sign-up, settings, avatar uploads) stay in services/accounts.py and services/avatars.py;
this domain reads what a member did, filtered by what the viewer may read.
"""
