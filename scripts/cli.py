"""The command-line helpers (mcunet_tf/cli/common.py), for the development scripts of this folder."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from mcunet_tf.cli.common import grid, patch_flags, patch_schedule, run  # noqa: E402,F401
