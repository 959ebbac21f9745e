"""One module per ``byggpuls`` subcommand: ``add_arguments(parser)`` and ``run(args)``.

Every ``byggpuls`` invocation imports all of them to build its command line, so they import
nothing heavy at the top; ``run`` does.
"""
