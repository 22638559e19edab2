"""The data layer of the hotline: SQLAlchemy 2 models, migrations, numbering, deadlines, search.

Import the models from :mod:`appeal_store.models`; engines and sessions from
:mod:`appeal_store.db`; run migrations with :func:`appeal_store.migrate.upgrade`.
"""
