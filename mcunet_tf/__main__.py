"""`python -m mcunet_tf <command> [flags]` (mcunet_tf.cli lists the commands)."""
from mcunet_tf.cli import main

main()
