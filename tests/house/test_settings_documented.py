"""Every setting the code reads is in README's configuration table: an
operator on call finds each knob in one place, with its default."""
import ast
import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parents[2]
CODE = ("chassis", "contracts", "gateway", "services", "scripts", "bench")
READERS = {"setting", "env", "env_int", "env_float", "_env", "get", "settings_value", "getenv"}
NAME = re.compile(r"^[A-Z][A-Z0-9]*(_[A-Z0-9]+)+$|^[A-Z]{4,}$")
# nameko config keys the chassis fills from other, documented variables
NOT_ENVIRONMENT = {"DATABASE_URL": "from <SERVICE>_DATABASE_URL",
                   "AMQP_URI": "documented", "PSYCOPG_WAIT_FUNC": "psycopg's own"}


def read_names():
    names = {}
    for top in CODE:
        for path in (ROOT / top).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text())):
                if not isinstance(node, ast.Call) or not node.args:
                    continue
                fn = node.func
                called = fn.attr if isinstance(fn, ast.Attribute) else getattr(fn, "id", None)
                first = node.args[0]
                if (called in READERS and isinstance(first, ast.Constant)
                        and isinstance(first.value, str) and NAME.match(first.value)):
                    names.setdefault(first.value, f"{path.relative_to(ROOT)}:{node.lineno}")
    return names


def test_every_setting_read_in_code_is_in_readme():
    readme = (ROOT / "README.md").read_text()
    documented = set(re.findall(r"`([A-Z][A-Z0-9_]+)`", readme))
    missing = {name: where for name, where in read_names().items()
               if name not in documented and name not in NOT_ENVIRONMENT}
    assert missing == {}, "add these to README's configuration table"
