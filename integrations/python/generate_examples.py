"""Writes examples/backends/python-<framework>/app.py: what
BrolostackPythonIntegration generates for each framework, with the
settings of EXAMPLE_CONFIG as defaults.

    /usr/bin/python3 integrations/python/generate_examples.py [--check]

--check writes nothing and exits 1 when an example differs from what would
be generated.
"""
import pathlib
import sys

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from brolostack_python import FRAMEWORKS, BrolostackPythonIntegration  # noqa: E402

EXAMPLES = HERE.parent.parent / 'examples' / 'backends'
# Explicit server_url: the examples must not depend on the BROLOSTACK_URL
# of whoever regenerates them.
EXAMPLE_CONFIG = {'host': '0.0.0.0', 'port': 8000, 'environment': 'development', 'server_url': 'http://127.0.0.1:3001'}


def expected():
    """{path of app.py: its source} for every framework."""
    integration = BrolostackPythonIntegration(EXAMPLE_CONFIG)
    return {EXAMPLES / f'python-{name}' / 'app.py': integration.generate(name) for name in FRAMEWORKS}


def main(argv):
    check = '--check' in argv
    stale = []
    for path, source in expected().items():
        current = path.read_text(encoding='utf-8') if path.exists() else None
        if current == source:
            continue
        stale.append(path)
        if not check:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(source, encoding='utf-8')
    for path in stale:
        print(f'{"stale" if check else "wrote"} {path.relative_to(EXAMPLES.parent.parent)}')
    return 1 if check and stale else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
