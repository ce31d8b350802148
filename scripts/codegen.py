"""`mcunet-codegen` from a checkout (mcunet_tf/cli/codegen.py has the command and its flags)."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from mcunet_tf.cli.codegen import main  # noqa: E402

if __name__ == "__main__":
    main()
