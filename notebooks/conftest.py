"""nbmake runs each notebook in a kernel that inherits this process's environment: the notebooks train this many
epochs (a user's run trains 20), so the suite runs every cell in seconds, not minutes."""

import os

from tests import session_env

os.environ.setdefault("ADDERFLOW_NOTEBOOK_EPOCHS", "3")
session_env.set_up()
