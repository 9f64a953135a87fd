from tkiseq.cli import main

raise SystemExit(main())
