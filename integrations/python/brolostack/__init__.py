"""``import brolostack`` for Python: the same API as ``brolostack_python``
(the name the npm package has in JavaScript)."""
from brolostack_python import *  # noqa: F401,F403 - the alias re-exports everything
from brolostack_python import __all__, __version__  # noqa: F401
