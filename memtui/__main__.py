from memtui.entry_point import main

raise SystemExit(main())
