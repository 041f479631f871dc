"""The house rules a newcomer can hold in mind, checked on every run:
modules of one job (at most 500 lines, outside migrations and tests) and
functions that fit on a screen (at most 60 lines)."""
import ast
import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[2]
CODE = ("chassis", "contracts", "gateway", "services", "scripts", "bench")
MAX_MODULE_LINES = 500
MAX_FUNCTION_LINES = 60


def code_files():
    for top in CODE:
        for path in sorted((ROOT / top).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path


def test_no_module_is_over_500_lines():
    long = {str(p.relative_to(ROOT)): n for p in code_files()
            if (n := len(p.read_text().splitlines())) > MAX_MODULE_LINES}
    assert long == {}, f"modules over {MAX_MODULE_LINES} lines: cut them along their seams"


def functions(tree):
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield node


def test_no_function_is_over_60_lines():
    long = {}
    for path in code_files():
        for fn in functions(ast.parse(path.read_text())):
            first = min([fn.lineno] + [d.lineno for d in fn.decorator_list])
            length = fn.end_lineno - first + 1
            if length > MAX_FUNCTION_LINES:
                long[f"{path.relative_to(ROOT)}:{fn.lineno} {fn.name}"] = length
    assert long == {}, f"functions over {MAX_FUNCTION_LINES} lines"
