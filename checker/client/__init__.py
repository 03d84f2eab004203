"""``apicheck client`` and ``apicheck traffic``: what a Docker client sends that a daemon version
does not understand.

``targets`` parses ``--server-version``; ``run`` starts one mockd process impersonating every
target daemon and runs the client against each; ``analyze`` re-checks the recorded exchanges
against each target with the rules of ``rules`` (one registry); ``model`` is the one result every
reporter of ``report`` consumes.
"""
