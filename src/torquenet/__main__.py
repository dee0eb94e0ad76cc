import sys

from torquenet.cli import main

sys.exit(main())
