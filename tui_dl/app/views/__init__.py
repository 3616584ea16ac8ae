"""The app's four views (tab panes): build, setup, train, runs."""
