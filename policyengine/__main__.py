"""``python -m policyengine``: the same as the ``policyengine`` command."""

from policyengine.cli import main

raise SystemExit(main())
