"""Post classifiers for the X bridge. The public entry points are in community/bridge/classify.py."""
