"""The web console of the hotline: operator, supervisor, QA, body and admin views and a JSON API.

Build it with :func:`operator_console.app.create_app`.
"""
