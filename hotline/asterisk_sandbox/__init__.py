"""The Asterisk sandbox: a Debian sid root with Asterisk 22, chrooted, on loopback.

Development and tests run the real Asterisk this way; production runs the same rendered
configuration on a normal Asterisk host (see docker-compose.yml).
"""
