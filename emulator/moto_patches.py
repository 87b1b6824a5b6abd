"""Speed-ups for moto's DynamoDB: each one small patch of one moto internal, kept honest.

Every patch is a function that checks it runs on the moto it was written for
(`WRITTEN_FOR`, and the internal it replaces still looks the way it knows),
applies itself and returns how to undo it. `apply` runs them all and logs one
line naming those applied (and why any did not apply); with
``EMULATOR_PLAIN_MOTO=1`` in the environment it applies none, so the embedded
DynamoDB is plain moto. `tests/emulator/test_moto_patches.py` fails when a
patch stops applying, and the DynamoDB-facing tests of ``functions/`` run
against both plain and patched moto, so no patch can change what DynamoDB
answers without a test noticing.

What each patch saves on one `play` (its UpdateItem with a condition) is
measured by ``python -m benchmarks.moto_patches``; a patch that no longer earns
its complexity there is deleted, not kept (remembering each handler class's method
names went that way: within the noise, -0.4 to +1.1 ms of a 3.6 ms play).
"""

from __future__ import annotations

import json
import logging
import os
from collections import deque
from collections.abc import Callable
from typing import Any

logger = logging.getLogger("emulator.moto")

PLAIN_MOTO = "EMULATOR_PLAIN_MOTO"
"""Set to ``1`` to run plain moto: no patch applied."""

WRITTEN_FOR = (5, 2)
"""The moto release series the patches were written and tested for (pyproject bounds moto to it)."""

Undo = Callable[[], None]


class NotApplicable(Exception):
    """A patch refused to apply: another moto, or the internal it replaces changed."""


def moto_version() -> str:
    from importlib.metadata import version

    return version("moto")


def _check_version() -> None:
    found = moto_version()
    series = tuple(int(part) for part in found.split(".")[:2] if part.isdigit())
    if series != WRITTEN_FOR:
        raise NotApplicable(f"written for moto {'.'.join(map(str, WRITTEN_FOR))}.x, found {found}")


def _replace(owner: Any, name: str, new: Any) -> Undo:
    """Set ``owner.name`` to `new` (which must not be patched already); return the undo."""
    if name not in vars(owner):
        raise NotApplicable(f"{getattr(owner, '__name__', owner)}.{name} is gone")
    original = vars(owner)[name]
    if getattr(original, "emulator_patch", False):
        raise NotApplicable(f"{name} is patched already")
    setattr(owner, name, new)
    return lambda: setattr(owner, name, original)


def _marked(function: Any) -> Any:
    function.emulator_patch = True
    return function


def condition_lexing() -> Undo:
    """Remember the tokens of each condition expression's text: moto re-lexes every
    condition character by character on every call, most of a conditional write's
    parsing time, yet the tokens depend only on the text."""
    _check_version()
    from moto.dynamodb.comparisons import ConditionExpressionParser as Parser

    original = vars(Parser).get("_lex_condition_expression")
    if original is None:
        raise NotApplicable("ConditionExpressionParser._lex_condition_expression is gone")
    cache: dict[str, tuple[Any, ...]] = {}

    @_marked
    def lex(self: Any) -> Any:
        expression = self.condition_expression
        nodes = cache.get(expression)
        if nodes is None:
            nodes = tuple(original(self))
            if len(cache) < 10_000:
                cache[expression] = nodes
        return deque(nodes)  # later passes build new nodes; they never change these

    return _replace(Parser, "_lex_condition_expression", lex)


def condition_parses() -> Undo:
    """Remember the last few condition parses: UpdateItem, PutItem and DeleteItem parse
    their condition twice (to check the names and values used, then to evaluate it).
    The key holds the expression, its names and its values; the tree is only read."""
    _check_version()
    from moto.dynamodb.comparisons import ConditionExpressionParser as Parser

    parse = vars(Parser).get("parse")
    if parse is None:
        raise NotApplicable("ConditionExpressionParser.parse is gone")
    parsed: dict[str, tuple[Any, list[str], list[str]]] = {}

    @_marked
    def remembering_parse(self: Any) -> Any:
        key = json.dumps(
            [
                self.condition_expression,
                self.expression_attribute_names,
                self.expression_attribute_values,
            ],
            sort_keys=True,
        )
        hit = parsed.get(key)
        if hit is None:
            op = parse(self)
            if len(parsed) >= 256:
                parsed.clear()
            parsed[key] = (op, list(self.expr_attr_names_found), list(self.expr_attr_values_found))
            return op
        op, names, values = hit
        self.expr_attr_names_found.extend(names)
        self.expr_attr_values_found.extend(values)
        return op

    return _replace(Parser, "parse", remembering_parse)


def reserved_words() -> Undo:
    """Keep DynamoDB's ~570 reserved words in a set: moto checks every path element
    against them, in a list."""
    _check_version()
    from moto.dynamodb.parsing.reserved_keywords import ReservedKeywords

    words = ReservedKeywords.get_reserved_keywords()
    if not isinstance(words, list) or "KEYWORDS" not in vars(ReservedKeywords):
        raise NotApplicable("ReservedKeywords.KEYWORDS is no longer a list")
    ReservedKeywords.KEYWORDS = frozenset(words)  # type: ignore[assignment]

    def undo() -> None:
        ReservedKeywords.KEYWORDS = words

    return undo


class _UpdateTrees:
    """Update-expression trees remembered per text, each with a pickled snapshot."""

    def __init__(self) -> None:
        self.trees: dict[str, Any] = {}
        self.snapshots: dict[int, tuple[Any, bytes]] = {}
        self.checked: set[tuple[int, str, tuple[str, ...]]] = set()
        """(tree, names, table keys) that passed the expression-only checks."""

    def snapshot(self, value: Any) -> bytes | None:
        found = self.snapshots.get(id(value))
        return found[1] if found is not None and found[0] is value else None


_trees: _UpdateTrees | None = None


def update_trees() -> Undo:
    """Parse each update expression's text once: UpdateItem parses it twice and the
    validators work on deep copies, so one tree per text can be shared. Each tree is
    also pickled once, for `update_tree_copies`."""
    _check_version()
    import pickle

    from moto.dynamodb.parsing import expressions

    # (mypy sees no names in this module: moto marks the whole file "type: ignore")
    UpdateExpressionParser = vars(expressions).get("UpdateExpressionParser")
    if UpdateExpressionParser is None:
        raise NotApplicable("moto.dynamodb.parsing.expressions.UpdateExpressionParser is gone")
    make = vars(UpdateExpressionParser).get("make")
    if not isinstance(make, classmethod):
        raise NotApplicable("UpdateExpressionParser.make is no longer a classmethod")
    make_tree = make.__get__(None, UpdateExpressionParser)
    trees = _UpdateTrees()

    @_marked
    def remembering_make(expression: str) -> Any:
        tree = trees.trees.get(expression)
        if tree is None:
            tree = make_tree(expression)
            if len(trees.trees) >= 1024:
                trees.trees.clear()
                trees.snapshots.clear()
                trees.checked.clear()
            trees.trees[expression] = tree
            try:
                trees.snapshots[id(tree)] = (tree, pickle.dumps(tree, pickle.HIGHEST_PROTOCOL))
            except Exception:  # not picklable: deep copies as before
                pass
        return tree

    global _trees
    undo_make = _replace(UpdateExpressionParser, "make", staticmethod(remembering_make))
    _trees = trees

    def undo() -> None:
        global _trees
        undo_make()
        _trees = None

    return undo


def _remembered_trees() -> _UpdateTrees:
    if _trees is None:
        raise NotApplicable("needs update_trees")
    return _trees


def update_tree_copies() -> Undo:
    """Copy a remembered update tree by unpickling its snapshot, several times faster
    than the validators' copy.deepcopy (about half of an update's validation); any
    other object still goes to copy.deepcopy."""
    _check_version()
    import copy
    import pickle

    from moto.dynamodb.parsing import validators

    trees = _remembered_trees()
    if vars(validators).get("deepcopy") is not copy.deepcopy:
        raise NotApplicable("moto.dynamodb.parsing.validators no longer uses copy.deepcopy")

    @_marked
    def clone(value: Any, memo: Any = None) -> Any:
        snapshot = trees.snapshot(value)
        if snapshot is not None:
            return pickle.loads(snapshot)
        return copy.deepcopy(value, memo)

    return _replace(validators, "deepcopy", clone)


_PURE_CHECKS = ("ActionCountValidator", "OverlappingPathsValidator", "UpdateHashRangeKeyValidator")


def update_checks_once() -> Undo:
    """Run an update's expression-only validation passes once per tree, names and table
    keys. The first three of its ten passes (one SET/REMOVE/ADD clause each, no
    overlapping paths, no key attribute updated) depend only on those, not on the item
    or the values; once they passed, later validations skip them."""
    _check_version()
    from moto.dynamodb.parsing import validators

    trees = _remembered_trees()
    Validator = vars(validators).get("UpdateExpressionValidator")
    pure = tuple(vars(validators).get(name) for name in _PURE_CHECKS)
    if Validator is None or None in pure or "validate" in vars(Validator):
        raise NotApplicable("moto's UpdateExpressionValidator changed")
    parent = Validator.__mro__[1]
    if "__init__" not in vars(parent) or "validate" not in vars(parent):
        raise NotApplicable("moto's Validator changed")
    initialize = vars(parent)["__init__"]
    validate = vars(parent)["validate"]

    @_marked
    def checking_init(self: Any, expression: Any, *args: Any, **kwargs: Any) -> None:
        initialize(self, expression, *args, **kwargs)
        self.emulator_checks_key = None
        if trees.snapshot(expression) is None:
            return
        if tuple(type(p) for p in self.processors[:3]) != pure:
            return
        try:
            key = (
                id(expression),
                json.dumps(self.expression_attribute_names or {}, sort_keys=True),
                tuple(self.table.table_key_attrs),
            )
        except (TypeError, AttributeError):
            return
        if key in trees.checked:
            self.processors = self.processors[3:]
        else:
            self.emulator_checks_key = key

    @_marked
    def checked_validate(self: Any) -> Any:
        node = validate(self)
        key = getattr(self, "emulator_checks_key", None)
        if key is not None and len(trees.checked) < 4096:
            trees.checked.add(key)
        return node

    undo_init = _replace_absent(Validator, "__init__", checking_init)
    undo_validate = _replace_absent(Validator, "validate", checked_validate)

    def undo() -> None:
        undo_validate()
        undo_init()

    return undo


def _replace_absent(owner: Any, name: str, new: Any) -> Undo:
    """Give `owner` its own ``name`` (inherited until now); the undo deletes it."""
    if name in vars(owner):
        raise NotApplicable(f"{owner.__name__}.{name} is its own now")
    setattr(owner, name, new)
    return lambda: delattr(owner, name)


_PLAIN_JSON_OUTPUT = {
    "GetItem": frozenset({"Item", "ConsumedCapacity"}),
    **dict.fromkeys(
        ("PutItem", "UpdateItem", "DeleteItem"),
        frozenset({"Attributes", "ConsumedCapacity", "ItemCollectionMetrics"}),
    ),
    **dict.fromkeys(
        ("Query", "Scan"),
        frozenset({"Items", "Count", "ScannedCount", "LastEvaluatedKey", "ConsumedCapacity"}),
    ),
}
"""Operations answered with plain JSON, and the members of their output (DynamoDB's model)."""


def _blob(value: object) -> str:
    import base64

    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(value).decode("ascii")
    raise TypeError(type(value).__name__)


def plain_json() -> Undo:
    """Answer item operations with json.dumps instead of moto's model-driven serializer
    (their output is plain JSON); anything it cannot write goes to moto's serializer."""
    _check_version()
    from moto.dynamodb.responses import DynamoHandler

    serialized = getattr(DynamoHandler, "serialized", None)
    if serialized is None:
        raise NotApplicable("BaseResponse.serialized is gone")

    @_marked
    def plain_serialized(self: Any, action_result: Any) -> Any:
        result = getattr(action_result, "result", None)
        members = _PLAIN_JSON_OUTPUT.get(self._get_action())
        if isinstance(result, dict) and members is not None:
            try:
                body = json.dumps({k: v for k, v in result.items() if k in members}, default=_blob)
            except TypeError:  # something only moto's serializer knows how to write
                return serialized(self, action_result)
            headers = {"Content-Type": "application/x-amz-json-1.0"}
            headers.update(self.response_headers)
            return 200, headers, body
        return serialized(self, action_result)

    return _replace_absent(DynamoHandler, "serialized", plain_serialized)


PATCHES: dict[str, Callable[[], Undo]] = {
    "reserved_words": reserved_words,
    "condition_lexing": condition_lexing,
    "condition_parses": condition_parses,
    "update_trees": update_trees,
    "update_tree_copies": update_tree_copies,
    "update_checks_once": update_checks_once,
    "plain_json": plain_json,
}
"""Every patch by name, in the order `apply` applies them."""

_applied: dict[str, Undo] = {}
_refused: dict[str, str] = {}


def plain_moto_requested() -> bool:
    """Whether ``EMULATOR_PLAIN_MOTO`` asks for plain moto (any value but empty or 0)."""
    return os.environ.get(PLAIN_MOTO, "") not in ("", "0")


def apply(names: list[str] | None = None) -> list[str]:
    """Apply the patches (all, or those named) unless ``EMULATOR_PLAIN_MOTO=1``, log
    `summary`, and return the names applied by this call."""
    if plain_moto_requested():
        logger.info("%s", summary())
        return []
    done: list[str] = []
    for name in names if names is not None else list(PATCHES):
        if name in _applied:
            continue
        try:
            _applied[name] = PATCHES[name]()
        except (NotApplicable, ImportError) as reason:
            _refused[name] = str(reason)
        else:
            _refused.pop(name, None)
            done.append(name)
    (logger.warning if _refused else logger.info)("%s", summary())
    return done


def summary() -> str:
    """One line: the moto version and the patches applied (and why any were refused)."""
    if plain_moto_requested():
        return f"moto {moto_version()}, plain ({PLAIN_MOTO}=1): no patch applied"
    line = f"moto {moto_version()}, patches applied: {', '.join(_applied) or 'none'}"
    if _refused:
        line += "; not applied: " + "; ".join(f"{k} ({v})" for k, v in _refused.items())
    return line


def note(name: str, refused: str | None) -> None:
    """Record a speed-up applied outside `PATCHES` (by the embedded server), for `summary`."""
    if refused is None:
        _applied.setdefault(name, lambda: None)
        _refused.pop(name, None)
    else:
        _refused[name] = refused


def check_version() -> None:
    """Raise `NotApplicable` unless moto is the series the patches were written for."""
    _check_version()


def applied() -> list[str]:
    """Names of the patches in effect in this process."""
    return list(_applied)


def undo() -> None:
    """Remove every applied patch (latest first): moto is plain again."""
    for name in reversed(list(_applied)):
        _applied.pop(name)()
    _refused.clear()
