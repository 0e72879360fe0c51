"""The ceiling: a bare Flask app rendering a 2 KB Jinja template, served like Parley."""
