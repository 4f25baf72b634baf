import ast
import importlib.util
import os
import pathlib
import unittest
from unittest import mock

import _path  # noqa: F401

from brolostack_python import FRAMEWORKS, BrolostackPythonIntegration, ConfigurationError

GENERATORS = {
    'fastapi': 'generateFastAPIIntegration',
    'flask': 'generateFlaskIntegration',
    'django': 'generateDjangoIntegration',
    'tornado': 'generateTornadoIntegration',
}


def load_generate_examples():
    path = pathlib.Path(__file__).resolve().parent.parent / 'generate_examples.py'
    spec = importlib.util.spec_from_file_location('generate_examples', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class GeneratorsTest(unittest.TestCase):
    def test_each_generator_gives_a_complete_app(self):
        integration = BrolostackPythonIntegration({'framework': 'fastapi', 'host': '0.0.0.0', 'port': 8000})
        for framework, method in GENERATORS.items():
            source = getattr(integration, method)()
            compile(source, f'{framework}/app.py', 'exec')
            self.assertEqual(source, getattr(integration, f'generate_{framework}_integration')(), 'snake_case alias')
            self.assertEqual(source, integration.generate(framework))
            tree = ast.parse(source)
            imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
            self.assertIn('brolostack_python', imported, framework)
            functions = {node.name for node in ast.walk(tree) if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))}
            self.assertLessEqual({'greet', 'issue_token', 'announce', 'start_report', 'main'}, functions, framework)
            assigned = {t.id for node in tree.body if isinstance(node, ast.Assign) for t in node.targets if isinstance(t, ast.Name)}
            self.assertLessEqual({'settings', 'brolostack', 'handlers'}, assigned, f'{framework}: module-level names tests use')
            for route in ('brolostack/token', 'announce', 'reports', 'health'):
                # Django's paths have no leading slash.
                self.assertRegex(source, rf"r?'/?{route}'", f'{framework}: the {route} route')
            for text in ("@handlers.on('greet')", 'WEBHOOK_PATH', 'SIGNATURE_HEADER',
                         "f'listening on http://localhost:{settings.port}'",
                         "host='0.0.0.0', port=8000, environment='development'", "if __name__ == '__main__':"):
                self.assertTrue(text in source, f'{framework}: no {text}')
            self.assertNotIn('$', source, f'{framework}: a placeholder left')
        self.assertEqual(integration.generate(), integration.generateFastAPIIntegration(), "config['framework']")

    def test_config_values_become_the_defaults(self):
        integration = BrolostackPythonIntegration({'host': "it's", 'port': 5050, 'environment': 'production',
                                                   'server_url': 'https://ws.example/', 'token_expires_in': 60})
        for framework in FRAMEWORKS:
            source = integration.generate(framework)
            compile(source, framework, 'exec')
            self.assertTrue('host="it\'s", port=5050, environment=\'production\', server_url=\'https://ws.example\'' in source)
            self.assertTrue('TOKEN_LIFETIME = 60' in source)

    def test_server_url_defaults_to_brolostack_url(self):
        with mock.patch.dict(os.environ, {'BROLOSTACK_URL': 'http://ws.internal:3001'}):
            self.assertEqual(BrolostackPythonIntegration({}).server_url, 'http://ws.internal:3001')
        with mock.patch.dict(os.environ, {'BROLOSTACK_URL': ''}):
            self.assertEqual(BrolostackPythonIntegration().server_url, 'http://127.0.0.1:3001')

    def test_config_validation(self):
        with self.assertRaisesRegex(TypeError, 'config must be a dict'):
            BrolostackPythonIntegration([('port', 1)])
        with self.assertRaisesRegex(ConfigurationError, r"unknown key\(s\) 'prot'; the keys are framework, host, port"):
            BrolostackPythonIntegration({'prot': 8000})
        with self.assertRaisesRegex(TypeError, r"config\['port'\] must be an int"):
            BrolostackPythonIntegration({'port': '8000'})
        with self.assertRaisesRegex(TypeError, r"config\['port'\] must be an int"):
            BrolostackPythonIntegration({'port': True})
        with self.assertRaisesRegex(TypeError, r"config\['host'\] must be a string"):
            BrolostackPythonIntegration({'host': None})
        with self.assertRaisesRegex(ConfigurationError, r"config\['port'\] must be a port number"):
            BrolostackPythonIntegration({'port': 70000})
        with self.assertRaisesRegex(ConfigurationError, r"config\['framework'\] must be one of fastapi, flask, django, tornado"):
            BrolostackPythonIntegration({'framework': 'bottle'})
        with self.assertRaisesRegex(ConfigurationError, r"config\['environment'\] must be one of"):
            BrolostackPythonIntegration({'environment': 'prod'})
        with self.assertRaisesRegex(ConfigurationError, r"config\['server_url'\] must be the http:// or https:// URL"):
            BrolostackPythonIntegration({'server_url': 'localhost:3001'})
        with self.assertRaisesRegex(ConfigurationError, 'token_expires_in'):
            BrolostackPythonIntegration({'token_expires_in': 0})
        with self.assertRaisesRegex(ConfigurationError, 'host'):
            BrolostackPythonIntegration({'host': ''})
        with self.assertRaisesRegex(ConfigurationError, r'generate\(\): no framework'):
            BrolostackPythonIntegration({}).generate()
        with self.assertRaisesRegex(ConfigurationError, 'one of fastapi'):
            BrolostackPythonIntegration({}).generate('bottle')

    def test_the_examples_are_up_to_date(self):
        generate_examples = load_generate_examples()
        for path, source in generate_examples.expected().items():
            self.assertTrue(path.exists(), f'{path} is missing: run integrations/python/generate_examples.py')
            self.assertEqual(path.read_text(encoding='utf-8'), source,
                             f'{path} differs from what is generated: run integrations/python/generate_examples.py')

    def test_the_brolostack_alias(self):
        import brolostack
        import brolostack_python
        from brolostack import BrolostackPythonIntegration as Alias
        self.assertIs(Alias, BrolostackPythonIntegration)
        for name in brolostack_python.__all__:
            self.assertIs(getattr(brolostack, name), getattr(brolostack_python, name), name)


if __name__ == '__main__':
    unittest.main()
