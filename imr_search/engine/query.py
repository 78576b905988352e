"""A user's query string -> a Whoosh query over the schema.

The syntax is Whoosh's (fields, "phrases", AND/OR/NOT, parentheses, * and ? wildcards,
~fuzzy, "a b"~N proximity, [a TO b] ranges, field:<value), read the way an attorney means it:

- bare words are ANDed and searched in the item's own text: the item, its rationale and
  both sides' guideline citations; the letter's summary only when named (`summary:`);
- `guideline:` means either citation, a phrase within one of them;
- field names are case-insensitive and have short aliases (`state`, `decided`, `injured`);
- keyword values are case-insensitive and spelled either way ("&" or "and"); a state by
  its name or its postal code (`state:CA`);
- `-word` leaves out items with the word, `+word` requires it; curly quotes are quotes;
- `#word` is the word as written: not stemmed, not a drug's other names (Westlaw's `#`);
- a date is a year, a month or a day (nothing else: `decided:16` is an error), and stands
  for the whole of it: `decided:2016`, `decided:"March 2016"`,
  `decided:[2016-01 TO 2016-06]`, `injured:<2010` (before 2010 began);
- a drug's brand and generic names find each other, unless quoted: `flexeril` finds letters
  about cyclobenzaprine, and `drug:Flexeril` is `drug:cyclobenzaprine`;
- patterns (`exacerb*`, `flexer?l`, `flexiril~`) match the indexed stems of words, as
  Whoosh's patterns do: `exacerb*` finds "exacerbation", "exacerbations", "exacerbated".

Every mistake is a `QueryError` naming the column and what to do; nothing is read silently
as something else.
"""

from __future__ import annotations

import ast
import copy
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from dateutil.relativedelta import relativedelta
from whoosh import query as wq
from whoosh.qparser import (
    FuzzyTermPlugin,
    GtLtPlugin,
    MultifieldParser,
    OperatorsPlugin,
    plugins,
    syntax,
)
from whoosh.util.times import long_to_datetime

from ..fields import ALIASES, BY_NAME, DATE_FIELDS, DEFAULT_FIELDS, NUMERIC_FIELDS, QUERY_FIELDS
from ..letters.drugs import drug_names
from ..letters.states import state_name
from .connectors import (
    PARAGRAPHS,
    SENTENCES,
    WORD,
    AtLeast,
    Connector,
    ExactWord,
    Near,
    fields_of,
)
from .ranking import PATTERNS
from .schema import MARKED, build_schema, prose_field, prose_terms
from .words import WORDS

OPERATORS = ("AND", "OR", "NOT", "ANDNOT", "ANDMAYBE")
# What a connector typed out of its form looks like: glued to a word (pain/s, w/5opioid),
# without its reach (w/, /sentence), or atleastN apart from its bracket.
# Letters' own abbreviations stay words: s/p, w/c, w/o, L5/S1.
MISWRITTEN_CONNECTOR = re.compile(
    r"(?i)^(?:w|pre)/(?:$|\d+\D)|^/[a-z]{2,}|[^\W\d]{2,}/(?:[sp]|\d+)$"
)
COUNT = re.compile(r"(?i)atleast\d+")  # Lexis's atleastN, its bracket right after it
COMPARISON = re.compile(r"[<>]=?|=[<>]")
# Westlaw's and Lexis's connectors, loosest last; those of a level bind left to right.
CONNECTOR_LEVELS = (
    r"\+\d+|pre/\d+",
    r"/\d+|w/\d+|not\s+w/\d+",
    r"\+s",
    r"/s|w/s|not\s+w/s",
    r"\+p",
    r"/p|w/p|not\s+w/p",
)
CONNECTOR = re.compile("|".join(CONNECTOR_LEVELS), re.IGNORECASE)
# What only Westlaw writes: its connectors, "&", "%", the root expander "!" and "#word" (a
# "#" before a number is a quantity, as the letters write it: "#60").
WESTLAW = re.compile(
    r"(?:^|\s)(?:[/+](?:\d+|[sp])|&|%)(?=\s|$)|\w!|(?:^|[\s(:])#[^\W\d_]", re.IGNORECASE
)
EXACT = re.compile(r"#[^\W\d_]")  # Westlaw's "#word": the word as written


class QueryError(Exception):
    """A query that cannot be read; the message names the column and what to do."""


@dataclass(frozen=True)
class ReadQuery:
    """A query as the user wrote it and as it was read, with what a user of another search
    would read otherwise (`notes`, one line each)."""

    text: str
    parsed: wq.Query
    notes: tuple[str, ...] = ()

    @property
    def explained(self) -> str:
        return explain(self.parsed)


def read_query(text: str) -> ReadQuery:
    """The query `text` as read. Raises QueryError."""
    return ReadQuery(text, parse_query(text), reading_notes(text))


# Quotes as a brief or an email writes them, one character each (columns stay where they are).
STRAIGHT_QUOTES = str.maketrans(
    "\u201c\u201d\u201e\u201f\u2033\u00ab\u00bb\u2018\u2019\u201a\u201b\u2032",
    '"""""""' + "'" * 5,
)


def parse_query(text: str) -> wq.Query:
    """The Whoosh query for `text`. Raises QueryError."""
    text = text.translate(STRAIGHT_QUOTES)
    check_syntax(text)
    if text.strip() == "*":
        return wq.Every()
    parsed = make_parser(westlaw=bool(WESTLAW.search(mask_phrases(text)))).parse(text)
    for part in parsed.leaves():
        if getattr(part, "error", None):
            raise QueryError(f"cannot read {part}: {part.error}")
    if parsed is wq.NullQuery:
        raise QueryError("the query has nothing to search for")
    return parsed


# `-term` leaves out what has the term and `+term` requires it, as Lucene reads them (words
# are required anyway): a sign that starts a word, a phrase or a group. NOT before `w/`
# is Lexis's `not w/n`, a connector (taggers are tried in the order operators bind).
SIGN_STARTS = r"(?:^|(?<=[\s(]))"
SIGN_ENDS = r"(?=[^\s)+-])"
NOT = rf"{SIGN_STARTS}(?:NOT(?=\s)(?!\s+(?i:w/))|-{SIGN_ENDS})"
PLUS = rf"{SIGN_STARTS}\+{SIGN_ENDS}"


class SpacePlugin(plugins.TaggingPlugin):
    """A pattern the parser reads as a space."""

    nodetype = syntax.Whitespace
    priority = 0


@cache
def make_parser(westlaw: bool = False) -> MultifieldParser:
    """The parser; with `westlaw`, for a query written in Westlaw's terms and connectors
    (its `*` is one character)."""
    # The parser knows the names that stand for several fields (`guideline`) as fields of
    # their own, so that it reads their values; `read_values` then spreads them.
    schema = build_schema()
    for field in BY_NAME.values():
        if field.either:
            schema.add(field.name, prose_field())
    boosts = {name: BY_NAME[name].boost for name in DEFAULT_FIELDS}
    parser = MultifieldParser(list(DEFAULT_FIELDS), schema, fieldboosts=boosts)
    parser.replace_plugin(OperatorsPlugin(operators(), clean=True))
    parser.add_plugin(SpacePlugin(PLUS))
    parser.add_plugin(GtLtPlugin())
    parser.add_plugin(FuzzyTermPlugin())
    parser.add_plugin(ReadingPlugin(westlaw))
    return parser


def operators() -> list:
    """The operators, tightest first, as Westlaw orders its connectors: a word's sign, OR,
    the connectors from /n to /p, AND, then BUT NOT (Lexis orders its own alike)."""
    tagger = OperatorsPlugin.OpTagger

    def infix(pattern: str) -> str:
        return rf"(?<=\s)(?:{pattern})(?=\s)"

    found = [
        (tagger(r"(?i:atleast\d+)(?=\()", AtLeastGroup, AtLeastOperator), 0),
        (tagger(NOT, syntax.NotGroup, syntax.PrefixOperator), 0),
        (tagger(infix("OR"), syntax.OrGroup), 0),
    ]
    for level in CONNECTOR_LEVELS:
        group = type("ConnectorLevel", (ConnectorGroup,), {})  # one of its own per level
        found.append((tagger(infix(f"(?i:{level})"), group, ConnectorOperator), 0))
    return [
        *found,
        (tagger(infix("AND|&"), syntax.AndGroup), 0),
        (tagger(infix("ANDNOT|%|(?i:and\\s+not)"), syntax.AndNotGroup), 0),
        (tagger(infix("ANDMAYBE"), syntax.AndMaybeGroup), 0),
        (tagger(r"(^|(?<=\s))REQUIRE(?=\s)", syntax.RequireGroup), 0),
    ]


def connector_of(spelling: str) -> Connector:
    """A connector as written: `/s`, `w/5`, `+3`, `pre/2`, `not w/p`..."""
    written = " ".join(spelling.lower().split())
    apart = written.startswith("not ")
    reach = written.split("/")[-1].lstrip("+")
    unit = {"s": SENTENCES, "p": PARAGRAPHS}.get(reach, WORD)
    ordered = written.startswith(("+", "pre/"))
    distance = int(reach) if unit == WORD else 0
    return Connector(written, unit, distance, ordered, apart)


class ConnectorOperator(syntax.InfixOperator):
    """A connector between two nodes: they become its group."""

    def replace_self(self, parser, group, position):
        if 0 < position < len(group) - 1:
            joined = self.grouptype([group[position - 1], group[position + 1]])
            joined.operator = self
            group[position - 1 : position + 2] = [joined]
        else:
            del group[position]  # check_syntax refuses it first
        return position


class ConnectorGroup(syntax.GroupNode):
    """Two sides and their connector, read as connectors.Near."""

    merging = False
    operator: ConnectorOperator

    def query(self, parser):
        spelling, at = self.operator.text, where(self.operator)
        connector = connector_of(spelling)
        if connector.unit == WORD and not 1 <= connector.distance <= MOST_WORDS_APART:
            raise QueryError(
                f"{spelling} at {at}: a distance is 1 word or more, and at most "
                f"{MOST_WORDS_APART:,} (a field's length)"
            )
        sides = [node.query(parser) for node in self.nodes]
        if len(sides) != 2:  # what check_syntax cannot see: ":not w/3" has no left side
            raise QueryError(f"{spelling} at {at} needs a side before it and one after it")
        for side, name in zip(sides, ("left", "right"), strict=True):
            problem = side_problem(side)
            if problem:
                raise QueryError(
                    f"the {name} side of {spelling} at {at} {problem}; a side is "
                    'a word, a "phrase" or alternatives in brackets joined by OR: '
                    "(flexeril OR cyclobenzaprine)"
                )
        near = Near(sides, connector)
        if not connector.apart and not fields_of(sides[0]) & fields_of(sides[1]):
            raise QueryError(
                f"the sides of {spelling} at {at} search no field in common; "
                "put both in one field: rationale:(a /s b)"
            )
        return near


def side_problem(q: wq.Query) -> str | None:
    """Why `q` cannot be a connector's side, or None."""
    if isinstance(q, (wq.And, wq.Or)) and len(q.subqueries) == 1:  # a group of one: (pain)
        return side_problem(q.subqueries[0])
    if isinstance(q, wq.CompoundQuery) and not q.subqueries:
        return "is empty"
    if isinstance(q, AtLeast):
        return "is a count (atleastN), not words"
    if isinstance(q, Near):
        return None
    if type(q) is wq.Or:
        problems = [side_problem(sub) for sub in q.subqueries if fields_of(sub)]
        return next((problem for problem in problems if problem), None)
    if isinstance(q, (wq.And, wq.Not, wq.AndNot, wq.AndMaybe)):
        return "joins words by AND or NOT (a space is AND)"
    if isinstance(q, wq.Every) or (isinstance(q, PATTERNS) and q.text in ("", "*")):
        return "matches every item"
    if isinstance(q, (wq.Term, wq.Phrase, ExactWord, *PATTERNS)) and fields_of(q):
        return None
    return "is not text (a value of a field without sentences)"


class AtLeastOperator(syntax.PrefixOperator):
    """Lexis `atleastN(...)`: the group after it, counted."""

    def replace_self(self, parser, group, position):
        del group[position]
        if position < len(group):
            counted = self.grouptype([group[position]])
            counted.operator = self
            group[position] = counted
        return position


class AtLeastGroup(syntax.GroupNode):
    operator: AtLeastOperator

    def query(self, parser):
        (counted,) = [node.query(parser) for node in self.nodes]
        spelling, at = self.operator.text, where(self.operator)
        count = int(spelling[len("atleast") :])
        if count < 1:
            raise QueryError(f"{spelling} at {at}: count 1 or more")
        problem = side_problem(counted)
        if problem:
            raise QueryError(
                f"what {spelling} at {at} counts {problem}; it counts a word, a "
                '"phrase" or alternatives joined by OR'
            )
        return AtLeast([counted], count)


def explain(parsed: wq.Query) -> str:
    """The query as Whoosh reads it: fields, stems, phrases; dates and numbers as written."""
    if isinstance(parsed, wq.Every):
        return "* (every item)"
    shown = re.sub(r"\b(\w+):\[(\d{17,}|) TO (\d{17,}|)\]", dates_shown, str(parsed))
    return re.sub(r"\b(\w+):(b'(?:[^'\\]|\\.)*')", number_shown, shown)


def dates_shown(match: re.Match) -> str:
    ends = [long_to_datetime(int(v)).date().isoformat() if v else "" for v in match.group(2, 3)]
    return f"{match.group(1)}:[{ends[0]} TO {ends[1]}]"


def number_shown(match: re.Match) -> str:
    name, encoded = match.groups()
    return f"{name}:{make_parser().schema[name].from_bytes(ast.literal_eval(encoded))}"


def reading_notes(text: str) -> tuple[str, ...]:
    """What a user of Westlaw would read otherwise in `text`: the spaces between its
    words, where it also has Westlaw's connectors."""
    masked = mask_phrases(text.translate(STRAIGHT_QUOTES))
    if not WESTLAW.search(masked):
        return ()
    tokens = query_tokens(masked)
    spaced = any(
        masked[at + len(before) : next_at].isspace()
        and not (joins(before) or joins(after) or before in ("(", "NOT") or after in (")", "NOT"))
        for (before, at), (after, next_at) in zip(tokens, tokens[1:], strict=False)
    )
    if not spaced:
        return ()
    return (
        "the spaces between words are read as AND, as everywhere here (Westlaw reads them "
        "as OR): write OR between alternatives",
    )


# ---------------------------------------------------------------- syntax checks


def check_syntax(text: str) -> None:
    """What Whoosh would silently guess at: unclosed quotes and brackets, operators with
    nothing to join, fields with no value, ranges without TO."""
    if not text.strip():
        raise QueryError('the query is empty; try a word, a "phrase" or field:value')
    masked = mask_phrases(text)
    opened: list[tuple[str, int]] = []
    for at, char in enumerate(masked):
        if char in "([{":
            opened.append((char, at))
        elif char in ")]}":
            if not opened:
                raise QueryError(f"unmatched {char!r} at column {at + 1}; remove it")
            opener, start = opened.pop()
            if (opener == "(") != (char == ")"):
                raise QueryError(
                    f"{opener!r} at column {start + 1} is closed by {char!r} at column {at + 1}; "
                    "a group is (...), a range [a TO b] or {a TO b}"
                )
            if opener != "(" and not re.search(r"\sTO\s|^TO\s|\sTO$", masked[start + 1 : at]):
                raise QueryError(
                    f"the range at column {start + 1} has no TO; write it [FROM TO UNTIL]"
                )
    if opened:
        opener, start = opened[-1]
        closer = ")" if opener == "(" else "]"
        raise QueryError(f"unclosed {opener!r} at column {start + 1}; add {closer!r}")
    tokens = query_tokens(masked)
    for index, (token, at) in enumerate(tokens):
        before = tokens[index - 1][0] if index else None
        after = tokens[index + 1][0] if index + 1 < len(tokens) else None
        if re.match(r"[+-](?:[+-]|$)", token) and masked[at + len(token) : at + 2] != "(":
            raise QueryError(
                f"{token!r} at column {at + 1} signs nothing; write -word to leave out items "
                'with the word, +word to require it, or quote it: "-"'
            )
        comparison = COMPARISON.search(token)
        if comparison and not re.fullmatch(r"\w+:(?:<=|>=|=<|=>|<|>)[^<>=]+", token):
            raise QueryError(
                f"{comparison.group()!r} at column {at + comparison.start() + 1} compares "
                "nothing; write it after a field and before a value: decided:<2016, age:>=40"
            )
        if token.startswith("#") and not re.match(r"#\w", token):
            raise QueryError(
                f"# at column {at + 1} takes one word as written, right after it: #knees"
            )
        bracketed = masked[at + len(token) : at + len(token) + 1] == "("
        miswritten = MISWRITTEN_CONNECTOR.search(token) and not joins(token)
        if miswritten or (COUNT.fullmatch(token) and not bracketed):
            raise QueryError(
                f"{token.replace('_', ' ')!r} at column {at + 1} reads as a word, not a "
                "connector; write a "
                "connector apart, between spaces, with its number or s or p: pain /s opioid, "
                "pain w/5 opioid, atleast3(pain)"
            )
        negates = token in ("NOT", "-")  # what follows it is negated
        if negates and after is not None and (after == "NOT" or after.startswith("-")):
            raise QueryError(
                f"{token} at column {at + 1} negates a negation; leave both out, or keep one"
            )
        shown = token.replace("_", " ")
        if token == "NOT" or joins(token):
            if after in (None, ")") or joins(after):
                raise QueryError(f"{shown} at column {at + 1} has nothing after it")
            if token != "NOT" and (before in (None, "(", "NOT") or joins(before)):
                raise QueryError(f"{shown} at column {at + 1} has nothing before it")
        elif token.endswith(":") and (after in (None, ")") or after == "NOT" or joins(after)):
            raise QueryError(
                f"{token} at column {at + 1} has no value; write {token}VALUE, "
                f'or {token}"two words"'
            )


def query_tokens(masked: str) -> list[tuple[str, int]]:
    """The words, operators and brackets of a query (its phrases masked) and their columns,
    Lexis's two-word connectors as one token each, "_" for their spaces."""
    masked = re.sub(
        r"(?i)\b(?:and\s+not|not\s+w/)", lambda m: re.sub(r"\s", "_", m.group()), masked
    )
    return [(m.group(), m.start()) for m in re.finditer(r"[()]|[^\s()]+", masked)]


def joins(token: str) -> bool:
    """Whether `token` (of `query_tokens`) joins what is on either side."""
    spelled = " ".join(token.replace("_", " ").split())
    return (
        token in (*OPERATORS[:2], *OPERATORS[3:], "&", "%", "REQUIRE")
        or spelled.lower() == "and not"
        or bool(CONNECTOR.fullmatch(spelled))
    )


def mask_phrases(text: str) -> str:
    """`text` with each quoted phrase's inside blanked out (positions kept). Raises on an
    unclosed quote."""
    out = list(text)
    start = None
    for at, char in enumerate(text):
        if char == '"':
            if start is None:
                start = at
            else:
                out[start + 1 : at] = "x" * (at - start - 1)
                start = None
    if start is not None:
        raise QueryError(f'unclosed quote at column {start + 1}; add the closing "')
    return "".join(out)


# ---------------------------------------------------------------- reading the parse tree


class ReadingPlugin:
    """Field names and values read as users mean them (see the module's docstring); with
    `westlaw`, patterns as Westlaw reads them."""

    def __init__(self, westlaw: bool = False):
        self.westlaw = westlaw

    def taggers(self, parser):
        return []

    def filters(self, parser):
        # Field names before Whoosh's range (99) and field (100) filters use them; values
        # once fields are assigned and before the multifield filter (110) spreads words.
        return [(self.read_field_names, 80), (self.read_values, 105)]

    def read_field_names(self, parser, group):
        fields = QUERY_FIELDS
        for node in group:
            if isinstance(node, syntax.GroupNode):
                self.read_field_names(parser, node)
            elif isinstance(node, syntax.FieldnameNode):
                name = node.fieldname.lower()
                name = ALIASES.get(name, name)
                if name not in fields:
                    raise QueryError(
                        f"unknown field {node.fieldname!r} at column {node.startchar + 1}; "
                        f"fields: {', '.join(fields)} (aliases: {', '.join(ALIASES)}); "
                        "quote text that contains a colon"
                    )
                node.fieldname = name
        return group

    def read_values(self, parser, group):
        for index, node in enumerate(group):
            if isinstance(node, syntax.GroupNode):
                self.read_values(parser, node)
                continue
            node = group[index] = self.read_pattern(node)
            if isinstance(node, PhraseNode) and node.slop > MOST_WORDS_APART:
                raise QueryError(
                    f'"{node.text}"~{node.slop} at {where(node)}: words at most '
                    f"{MOST_WORDS_APART:,} apart (a field's length)"
                )
            if isinstance(node, FuzzyNode) and node.maxdist > MOST_TYPOS:
                raise QueryError(
                    f"{node.text}~ at {where(node)}: a word finds its typos "
                    f"{MOST_TYPOS} letters off at most (~1 or ~{MOST_TYPOS}); more would find "
                    "other words"
                )
            name = getattr(node, "fieldname", None)
            if name in BY_NAME and BY_NAME[name].either:
                group[index] = either_node(node, BY_NAME[name].either)
                continue
            if node.has_text and EXACT.match(node.text or ""):
                group[index] = exact_node(node)
                continue
            if name in DATE_FIELDS:
                group[index] = date_node(node)
            elif name in NUMERIC_FIELDS:
                check_numbers(node)
            elif name == "drug" and node.has_text:
                node.text = generic_name(node.text)
            elif name == "license_state" and node.has_text:
                node.text = state_name(node.text) or node.text  # `state:CA` is California
            elif name is None and type(node) is syntax.WordNode:
                group[index] = drug_names_node(node)
        return group

    def read_pattern(self, node):
        """Westlaw's root expander: `improv!` is `improv*`. In a Westlaw query `*` is one
        character, and `*`s that end a word are up to as many."""
        if type(node) is syntax.WordNode and re.fullmatch(r"\w+!", node.text):
            return copied_as(node, WildcardNode(node.text[:-1] + "*"))
        if not (self.westlaw and isinstance(node, WildcardNode) and "*" in node.text):
            return node
        stem = node.text.rstrip("*")
        if not stem:
            return node
        stem = stem.replace("*", "?")
        ending = len(node.text) - len(node.text.rstrip("*"))
        forms = [copied_as(node, WildcardNode(stem + "?" * n)) for n in range(ending + 1)]
        return forms[0] if len(forms) == 1 else copied_as(node, syntax.OrGroup(forms))


WildcardNode = plugins.WildcardPlugin.WildcardNode
FuzzyNode = FuzzyTermPlugin.FuzzyTermNode
PhraseNode = plugins.PhrasePlugin.PhraseNode
MOST_WORDS_APART = 100_000  # past the longest field; larger numbers overflow the arrays
MOST_TYPOS = 2  # Lucene's cap too: "mri~3" finds every three-letter word


class ExactWordNode(syntax.TextNode):
    """Westlaw's `#word` on a prose field (spread over the default fields where it names
    none): connectors.ExactWord."""

    def query(self, parser):
        if self.fieldname not in MARKED:
            raise QueryError(
                f"#{self.text} at {where(self)} is on {self.fieldname}, which has no words "
                "to take as written; # is for text fields: item, rationale, the citations, "
                "summary"
            )
        (stem,) = prose_terms(self.text)
        return ExactWord([wq.Term(self.fieldname, stem)], self.text.lower(), self.boost)


def exact_node(node) -> ExactWordNode:
    """`#knees`: "knees" as written, not "knee" nor a drug's other names."""
    word = node.text[1:]
    if type(node) is not syntax.WordNode or not WORDS.fullmatch(word) or word.startswith("#"):
        raise QueryError(
            f"{node.text} at {where(node)}: # takes one word as written (#knees), not a "
            "pattern, a phrase or punctuation"
        )
    return copied_as(node, ExactWordNode(word))


def copied_as(node, made):
    """`made` in the place of `node`: its field, boost and columns."""
    if made.has_fieldname:
        made.fieldname = node.fieldname
    made.boost = node.boost
    made.set_range(node.startchar, node.endchar)
    return made


def either_node(node, names: tuple[str, ...]):
    """A node on a name for several fields -> the node on each of them, ORed: a phrase
    matches within one field, never across the seam between two."""
    copies = []
    for name in names:
        copied = copy.copy(node)
        copied.fieldname = name
        copies.append(copied)
    either = syntax.OrGroup(copies)
    either.set_range(node.startchar, node.endchar)
    return either


def where(node) -> str:
    return f"column {node.startchar + 1}" if node.startchar is not None else "the query"


def check_numbers(node) -> None:
    if isinstance(node, syntax.RangeNode):
        values = [v for v in (node.start, node.end) if v]
    elif type(node) is syntax.WordNode:
        values = [node.text]
    else:
        raise QueryError(f"{node.fieldname} at {where(node)} takes a number or a range")
    field = make_parser().schema[node.fieldname]
    for value in values:
        if not re.fullmatch(r"-?\d+", value):
            raise QueryError(
                f"{node.fieldname}:{value} at {where(node)} is not a whole number; "
                f"write e.g. {node.fieldname}:40 or {node.fieldname}:[40 TO 60]"
            )
        if not field.min_value <= int(value) <= field.max_value:
            raise QueryError(
                f"{node.fieldname}:{value} at {where(node)} is past the numbers it holds "
                f"({field.min_value} to {field.max_value})"
            )


# ---------------------------------------------------------------- dates


class DateRangeNode(syntax.SyntaxNode):
    """A span of time on a date field, its ends already resolved to instants."""

    has_fieldname = True
    has_boost = True

    def __init__(self, fieldname: str, start: datetime | None, end: datetime | None):
        self.fieldname = fieldname
        self.start = start
        self.end = end
        self.boost = 1.0

    def r(self):
        return f"DateRange {self.start} {self.end}"

    def query(self, parser):
        return wq.DateRange(self.fieldname, self.start, self.end, boost=self.boost)


MICROSECOND = timedelta(microseconds=1)
MONTHS = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
]
MONTH = r"(?P<month_name>[a-z]{3,9})\.?"
# The ways a year, a month or a day is written; nothing else is a date.
DATE_FORMS = [
    re.compile(form)
    for form in (
        r"(?P<year>\d{4})",
        r"(?P<year>\d{4})[-/.](?P<month>\d{1,2})",
        r"(?P<month>\d{1,2})[-/.](?P<year>\d{4})",
        rf"{MONTH},? (?P<year>\d{{4}})",
        r"(?P<year>\d{4})[-/.](?P<month>\d{1,2})[-/.](?P<day>\d{1,2})",
        r"(?P<month>\d{1,2})[-/.](?P<day>\d{1,2})[-/.](?P<year>\d{4})",
        rf"{MONTH} (?P<day>\d{{1,2}}),? (?P<year>\d{{4}})",
        rf"(?P<day>\d{{1,2}}) {MONTH},? (?P<year>\d{{4}})",
    )
]


def date_node(node) -> DateRangeNode:
    """`decided:2016` -> all of 2016; ranges by their ends: `<2010` is before 2010 began,
    `<=2010` until it ended, `[2016-01 TO 2016-06]` from January 1 to June 30."""
    if isinstance(node, syntax.RangeNode):
        start = end = None
        if node.start:
            first, last = date_span(node.start, node)
            start = last + MICROSECOND if node.startexcl else first
        if node.end:
            first, last = date_span(node.end, node)
            end = first - MICROSECOND if node.endexcl else last
    elif type(node) in (syntax.WordNode, plugins.PhrasePlugin.PhraseNode):  # "March 2016"
        start, end = date_span(node.text, node)
    else:
        raise QueryError(
            f"{node.fieldname} takes a date, not a pattern; write a year (2016), a month "
            "(2016-03), a day (2016-03-15) or a range [2016-01 TO 2016-06]"
        )
    made = DateRangeNode(node.fieldname, start, end)
    made.startchar, made.endchar = node.startchar, node.endchar
    return made


# Years a date may name: the letters' (from 2013) and the injuries before them.
YEARS = range(1900, 2101)


def date_span(text: str, node) -> tuple[datetime, datetime]:
    """The first and last instant a year, a month or a day names."""
    parts = date_parts(" ".join(text.strip('"').lower().split()))
    if parts and parts[0] not in YEARS:
        raise QueryError(
            f"{node.fieldname}:{text} at {where(node)}: a year from {YEARS[0]} to {YEARS[-1]}"
        )
    try:
        if parts is None:
            raise ValueError
        year, month, day = parts
        first = datetime(year, month or 1, day or 1)
    except (ValueError, OverflowError):
        raise QueryError(
            f"{node.fieldname}:{text} at {where(node)} is not a date; write a year (2016), "
            'a month (2016-03, 03/2016 or "March 2016") or a day (2016-03-15, 03/15/2016 '
            'or "March 15, 2016")'
        ) from None
    length = relativedelta(days=1) if day else relativedelta(months=1 if month else 12)
    return first, first + length - MICROSECOND


def date_parts(text: str) -> tuple[int, int | None, int | None] | None:
    """(year, month, day) of a date as written, month and day None where not written."""
    for form in DATE_FORMS:
        match = form.fullmatch(text)
        if match is None:
            continue
        held = match.groupdict()
        month = held.get("month")
        if held.get("month_name"):
            named = [n for n, name in enumerate(MONTHS, 1) if name.startswith(held["month_name"])]
            if len(named) != 1:
                return None
            month = named[0]
        day = held.get("day")
        return int(held["year"]), month and int(month), day and int(day)
    return None


# ---------------------------------------------------------------- drugs


@cache
def names_by_generic() -> dict[str, tuple[str, ...]]:
    """Each generic's one-word names (generic, brands, spellings) as a query can hold them."""
    by_name = drug_names()
    names: dict[str, list[str]] = {}
    for name, drug in by_name.items():
        if " " not in name:
            names.setdefault(drug.generic, []).append(name)
    return {generic: tuple(sorted(found)) for generic, found in names.items()}


def generic_name(text: str) -> str:
    drug = drug_names().get(text.strip().lower())
    return drug.generic if drug else text


def drug_names_node(node):
    """A bare drug name -> any of its names in the text, or its generic in `drug`."""
    drug = drug_names().get(node.text.lower())
    if drug is None:
        return node
    words = [syntax.WordNode(name) for name in names_by_generic()[drug.generic]]
    by_field = syntax.WordNode(drug.generic)
    by_field.fieldname = "drug"
    for word in [*words, by_field]:
        word.set_range(node.startchar, node.endchar)
        word.boost = node.boost
    return syntax.OrGroup([*words, by_field])
