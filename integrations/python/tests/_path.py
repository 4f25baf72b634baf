"""Puts the package (integrations/python) first on sys.path, so the tests
run against this checkout without installing it."""
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
