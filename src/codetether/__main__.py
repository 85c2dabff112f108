from codetether.cli import main

raise SystemExit(main())
