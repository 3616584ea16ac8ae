"""The app's five views (tab panes): build, setup, train, runs, learn (its labs: ``learn/``)."""
