"""The headless front end: the ``tui-dl`` command (``main``), one module per subcommand.

- ``main``: argument parsing and dispatch (``tui-dl FILE`` opens the app, ``--batch`` trains headless)
- ``batch``: the ``--batch`` runner and its printer
- ``summary``: ``tui-dl summary FILE``
- ``lab``: ``tui-dl lab NAME`` (the Learn labs headless)
- ``report``: the layer table and the README's generated reference blocks
- ``exit_codes``: the exit codes every command shares
"""
