"""Helpers the simulators share, and only they: no adapter imports this package.

:mod:`.oauth` holds the parts of OAuth 2.0 (RFC 6749) that several simulated token
endpoints read and answer alike.
"""
