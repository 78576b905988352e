"""The README stays true: its commands exist, and CI runs its test command."""

import re

import typer.main
from typer.testing import CliRunner

from imr_search.cli import app
from imr_search.fields import FACETS, FIELDS

from .conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def fenced_commands() -> list[str]:
    return [block.strip() for block in re.findall(r"```\n(.*?)```", README, re.S)]


def commands() -> dict:
    return typer.main.get_command(app).commands


def test_ci_runs_the_readme_test_command():
    test_command = next(c for c in fenced_commands() if "pytest" in c)
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert test_command in ci.splitlines()


def test_setup_command_installs_and_runs_on_the_corpus():
    setup = fenced_commands()[0]
    assert "pip install" in setup and "corpus/" in setup


def test_every_command_has_help_and_a_readme_section():
    assert commands()
    for name, command in commands().items():
        assert command.help, name
        assert f"### `imr-search {name}" in README, name
        result = CliRunner().invoke(app, [name, "--help"])
        assert result.exit_code == 0
        assert "Usage" in result.stdout


def test_every_option_is_in_its_commands_heading():
    for name, command in commands().items():
        heading = next(
            line for line in README.splitlines() if line.startswith(f"### `imr-search {name}")
        )
        for param in command.params:
            for option in param.opts:
                if option.startswith("--") and option != "--help":
                    assert option in heading, (name, option)


def field_row(field) -> str:
    aliases = ", ".join(f"`{alias}`" for alias in field.aliases)
    return f"| `{field.name}` | {aliases} | {field.kind} | {field.holds} | {field.example} |"


def test_the_readme_field_table_is_the_fields_table():
    fields_table = README[README.index("**Fields.**") : README.index("**Facets.**")]
    rows = [line for line in fields_table.splitlines() if line.startswith("| `")]
    assert rows == [field_row(field) for field in FIELDS if field.searchable]
    for name in FACETS:
        assert f"`{name}`" in README[README.index("**Facets.**") :], name


def test_every_json_key_is_documented():
    from imr_search.letters.files import read_letter

    letter = read_letter(ROOT / "tests" / "golden" / "real" / "CM16-0230651.txt").to_dict()
    keys = set(letter) | {key for item in letter["items"] for key in item}
    for key in keys:
        assert f"`{key}`" in README, key


def test_every_field_example_finds_items_of_the_sample_corpus(index_dir):
    from imr_search.search import search

    for field in FIELDS:
        if field.searchable:
            example = field.example.strip("`")
            assert search(index_dir, example).total, example


def syntax_examples() -> list[str]:
    """Every query the README's query syntax table shows in its first column."""
    table = README.split("**Query syntax.**")[1].split("Everything that cannot be read")[0]
    rows = [line.split(" | ")[0] for line in table.splitlines() if line.startswith("| `")]
    return [example for row in rows for example in re.findall(r"`([^`]+)`", row)]


def test_every_syntax_example_is_read_and_finds_items(index_dir):
    from imr_search.search import search

    examples = syntax_examples()
    assert len(examples) > 20
    for example in examples:
        if example.startswith("field:"):
            continue  # the form, not a query
        assert search(index_dir, example).total, example


def test_every_terms_and_connectors_example_is_read_and_finds_items(index_dir):
    from imr_search.search import search

    table = README.split("**Terms and connectors.**")[1].split("- **A side**")[0]
    rows = [line.split(" | ")[-1] for line in table.splitlines() if line.startswith("| ")]
    examples = [example for row in rows for example in re.findall(r"`([^`]+)`", row)]
    assert len(examples) > 15
    for example in examples:
        assert search(index_dir, example).total, example
