"""Appeal operations that own their transaction: registration, routing, outbox, answers.

Each public operation takes a SQLAlchemy ``Session``, does its checks before writing, and
commits at its end (or rolls back and raises a :mod:`.errors` exception), so callers such as
the console's routers never commit themselves.
"""
