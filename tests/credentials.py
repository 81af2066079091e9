"""Credentials that break hand-written URL building: every test server uses them."""

HOSTILE_PASSWORD = "p@ss:w/rd %41#?&+'\" x"
HOSTILE_USER = "user @:/%#?&+'\" x"
