from tui_dl.cli.main import main

raise SystemExit(main())
