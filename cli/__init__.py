"""The entry points: the ``byggpuls`` command line and the one composition root.

The only package that imports every service. :mod:`cli.main` builds the command line from
:mod:`cli.commands`; :mod:`cli.bootstrap` builds each service's adapters from its settings.
"""
