"""A safe parser for formulas f(x, y) typed by users, e.g. "x**2 + 3*sin(y)".

Why not sympy.sympify or eval? Both run Python code, and a "formula" such as
__import__('os').system('...') would run on the server. Instead we:

1. check the raw text (length, plain ASCII, allowed characters, nesting);
2. let Python's own parser build a syntax tree (ast.parse only parses, it never runs anything);
3. walk that tree and accept only a short whitelist of node types: numbers, the
   names x, y, pi, e, the operators + - * / **, and calls of known functions;
4. build the sympy expression ourselves, node by node, from the checked tree,
   refusing constants that would be absurdly large (9**9**9**9) *before* they are computed.

Every problem raises ExpressionError (a ValueError) saying what is wrong and at
which column (1-based), so the app can show it while the user types.
"""

from __future__ import annotations

import ast
import math
import re
import unicodedata

import sympy

MAX_LENGTH = 500  # characters
MAX_NODES = 200  # numbers, names, operators and calls in the tree
MAX_DEPTH = 30  # nesting levels (parentheses, function calls, powers)
MAX_EXPONENT = 100  # |constant exponent| allowed in a**b
MAX_MAGNITUDE = 1e300  # largest constant allowed anywhere (float64 ends near 1.8e308)

X = sympy.Symbol("x", real=True)
Y = sympy.Symbol("y", real=True)
VARIABLES = {"x": X, "y": Y}
CONSTANTS = {"pi": sympy.pi, "e": sympy.E}

# name -> (number of arguments, sympy builder). Aliases use NumPy's spelling.
FUNCTIONS = {
    "sin": (1, sympy.sin),
    "cos": (1, sympy.cos),
    "tan": (1, sympy.tan),
    "asin": (1, sympy.asin),
    "acos": (1, sympy.acos),
    "atan": (1, sympy.atan),
    "arcsin": (1, sympy.asin),
    "arccos": (1, sympy.acos),
    "arctan": (1, sympy.atan),
    "atan2": (2, sympy.atan2),
    "arctan2": (2, sympy.atan2),
    "sinh": (1, sympy.sinh),
    "cosh": (1, sympy.cosh),
    "tanh": (1, sympy.tanh),
    "exp": (1, sympy.exp),
    "log": (1, sympy.log),
    "ln": (1, sympy.log),
    "log10": (1, lambda u: sympy.log(u, 10)),
    "sqrt": (1, sympy.sqrt),
    "abs": (1, sympy.Abs),
}

VOCABULARY = (
    "Use x and y, numbers, + - * / ** and ( ), constants pi and e, and functions "
    + ", ".join(FUNCTIONS)
    + "."
)

# Characters a formula may contain; anything else gets a specific message.
ALLOWED_CHARACTERS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 +-*/().,")
CHARACTER_HINTS = {
    "^": "use ** for powers (write x**2, not x^2)",
    "[": "use round parentheses ( )",
    "]": "use round parentheses ( )",
    "{": "use round parentheses ( )",
    "}": "use round parentheses ( )",
    "=": "write only the formula, without '=' (e.g. x**2 + y**2)",
    "'": "text in quotes is not allowed",
    '"': "text in quotes is not allowed",
    ";": "write a single formula",
    "_": "names with '_' are not allowed",
}

# A number directly followed by a name or '(' (2x, 3 sin(x)), but not inside a name like log10(.
IMPLICIT_PRODUCT = re.compile(r"(?<![\w.])\d+(?:\.\d*)?(?:[eE][+-]?\d+)?\s*[A-Za-z(]")

OPERATORS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}
FORBIDDEN_OPERATORS = {ast.FloorDiv: "//", ast.Mod: "%", ast.MatMult: "@", ast.BitXor: "^",
                       ast.BitAnd: "&", ast.BitOr: "|", ast.LShift: "<<", ast.RShift: ">>"}
FORBIDDEN_NODES = {  # friendly names for common mistakes; anything else is "not allowed" too
    "Attribute": "Attribute access with '.'",
    "Subscript": "Indexing with [ ]",
    "Compare": "A comparison",
    "BoolOp": "'and'/'or'",
    "IfExp": "'if ... else'",
    "Lambda": "'lambda'",
    "Tuple": "A comma-separated list",
    "List": "A list",
    "Set": "A set",
    "Dict": "A dict",
    "ListComp": "A comprehension",
    "SetComp": "A comprehension",
    "DictComp": "A comprehension",
    "GeneratorExp": "A comprehension",
    "JoinedStr": "A string",
    "NamedExpr": "':='",
    "Starred": "'*' unpacking",
}


class ExpressionError(ValueError):
    """A formula was rejected. ``column`` is the 1-based column of the problem, if known."""

    def __init__(self, message: str, column: int | None = None):
        super().__init__(message)
        self.column = column


def parse_expression(text: str) -> sympy.Expr:
    """Parse and validate a formula in x and y; return it as a sympy expression.

    Raises ExpressionError (a ValueError) for anything that is not a safe,
    well-formed real function of x and y.
    """
    return _parse(text)[0]


def normalize_expression(text: str) -> str:
    """The formula re-printed in a standard spacing, e.g. 'x**2+3*sin(y)' -> 'x ** 2 + 3 * sin(y)'."""
    return _parse(text)[1]


def _parse(text):
    if not isinstance(text, str):
        raise ExpressionError(f"The formula must be text, got {type(text).__name__}.")
    # Check the length first so that huge inputs cost nothing more.
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"The formula is too long: {len(text)} characters, the limit is {MAX_LENGTH}.")
    source = text.strip()
    lead = len(text) - len(text.lstrip())  # to report columns in the text as typed
    if not source:
        raise ExpressionError("Enter a formula in x and y, for example x**2 + 3*sin(y).")
    _check_characters(source, lead)
    _check_parentheses(source, lead)
    try:
        tree = ast.parse(source, mode="eval")
    except SyntaxError as err:
        raise ExpressionError(_syntax_message(err, source, lead), column=_column(lead, err.offset)) from None
    except (RecursionError, MemoryError, ValueError):
        raise ExpressionError("The formula is too deeply nested.") from None
    _check_size(tree.body, lead)
    try:
        expr = _Builder(source, lead).build(tree.body)
    except (ArithmeticError, RecursionError, MemoryError):
        # Our checks should prevent these; if sympy still gives up, say so politely.
        raise ExpressionError("The formula is too complicated to work with; try simplifying it.") from None
    if not expr.free_symbols & {X, Y}:
        raise ExpressionError(f"The formula is not a function of x and y: it is the constant {expr}.")
    if expr.has(sympy.I, sympy.zoo, sympy.nan, sympy.oo, -sympy.oo):
        raise ExpressionError("The formula contains an infinite or complex constant.")
    return expr, ast.unparse(tree.body)


def _column(lead: int, offset) -> int | None:
    return None if offset is None else lead + offset


def _check_characters(source: str, lead: int) -> None:
    for i, ch in enumerate(source):
        if ch in ALLOWED_CHARACTERS:
            continue
        where = f"at column {lead + i + 1}"
        if ord(ch) > 127:
            # Look-alikes such as a fullwidth 'ｙ' would be confusing, so we refuse them.
            name = unicodedata.name(ch, f"U+{ord(ch):04X}")
            message = f"Only plain ASCII characters are allowed: '{ch}' ({name}) {where}. Retype it."
        elif not ch.isprintable():
            message = f"Unexpected control character {ch!r} {where}; write the formula on one line."
        else:
            hint = CHARACTER_HINTS.get(ch, VOCABULARY)
            message = f"The character '{ch}' {where} is not allowed. {hint[0].upper() + hint[1:]}"
        raise ExpressionError(message.rstrip(".") + ".", column=lead + i + 1)


def _check_parentheses(source: str, lead: int) -> None:
    """Cheap pre-check so deep nesting never reaches the parser."""
    depth = 0
    for i, ch in enumerate(source):
        if ch == "(":
            depth += 1
            if depth > MAX_DEPTH:
                raise ExpressionError(
                    f"Too many nested parentheses at column {lead + i + 1} (the limit is {MAX_DEPTH}).",
                    column=lead + i + 1,
                )
        elif ch == ")":
            depth -= 1
            if depth < 0:
                raise ExpressionError(f"Unmatched ')' at column {lead + i + 1}.", column=lead + i + 1)
    if depth > 0:
        raise ExpressionError("A '(' is never closed: add the missing ')'.")


def _syntax_message(err: SyntaxError, source: str, lead: int) -> str:
    column = _column(lead, err.offset)
    where = f" at column {column}" if column else ""
    message = f"Could not read the formula{where}: {err.msg}."
    # The most common beginner mistake: 2x or 3sin(x) instead of 2*x.
    if IMPLICIT_PRODUCT.search(source):
        message += " Write * for multiplication, e.g. 2*x."
    return message


def _check_size(root: ast.AST, lead: int) -> None:
    """Bound the number of nodes and the nesting depth, without recursion."""
    count = 0
    stack = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        count += 1
        if count > MAX_NODES:
            raise ExpressionError(f"The formula is too long (more than {MAX_NODES} parts).")
        if depth > MAX_DEPTH:
            col = lead + (node.col_offset if isinstance(node, (ast.expr, ast.keyword)) else 0) + 1
            raise ExpressionError(
                f"The formula is nested too deeply at column {col} (the limit is {MAX_DEPTH} levels).",
                column=col,
            )
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.expr_context, ast.operator, ast.unaryop)):
                continue  # Load, Add, USub... are markers, not parts of the formula
            # a + b + c + ... is a left-leaning chain that sympy flattens into one sum:
            # count it as one level so long sums are not mistaken for deep nesting.
            same_chain = (
                isinstance(node, ast.BinOp)
                and isinstance(child, ast.BinOp)
                and child is node.left
                and _chain(node.op) is not None
                and _chain(child.op) == _chain(node.op)
            )
            stack.append((child, depth if same_chain else depth + 1))


def _chain(op) -> str | None:
    """Which flat chain an operator belongs to: 'sum' (+ -), 'product' (* /) or None."""
    if isinstance(op, (ast.Add, ast.Sub)):
        return "sum"
    if isinstance(op, (ast.Mult, ast.Div)):
        return "product"
    return None


def constant_value(expr: sympy.Expr) -> float | None:
    """The numeric value of a constant expression (nan if not a real number); None if it has x or y."""
    if expr.free_symbols:
        return None
    try:
        value = complex(expr.evalf(20))
    except (TypeError, ValueError, OverflowError, ZeroDivisionError):
        return math.nan
    if abs(value.imag) > 1e-12 * max(1.0, abs(value.real)):
        return math.nan  # e.g. sqrt(-1): complex, not real
    return value.real


class _Builder:
    """Turns a checked syntax tree into a sympy expression, one whitelisted node at a time."""

    def __init__(self, source: str, lead: int):
        self.source = source
        self.lead = lead

    def fail(self, message: str, node: ast.AST, hint: str = ""):
        """Raise "<message> at column N. <hint>" for the given node."""
        col = self.lead + node.col_offset + 1
        text = f"{message} at column {col}." + (f" {hint}" if hint else "")
        raise ExpressionError(text, column=col)

    def snippet(self, node: ast.AST) -> str:
        text = ast.get_source_segment(self.source, node) or ""
        return text if len(text) <= 40 else text[:37] + "..."

    def build(self, node: ast.AST) -> sympy.Expr:
        # Exact type checks (not isinstance) so no subclass slips through.
        kind = type(node)
        if kind is ast.BinOp:
            result = self.binop(node)
        elif kind is ast.UnaryOp:
            result = self.unaryop(node)
        elif kind is ast.Constant:
            result = self.constant(node)
        elif kind is ast.Name:
            result = self.name(node)
        elif kind is ast.Call:
            result = self.call(node)
        else:
            what = FORBIDDEN_NODES.get(kind.__name__, f"'{kind.__name__}'")
            self.fail(f"{what} is not allowed in a formula", node)
        self.check_constant(result, node)
        return result

    def check_constant(self, expr, node) -> None:
        value = constant_value(expr)
        if value is None:
            return
        if math.isnan(value):
            self.fail(f"'{self.snippet(node)}' is not a real number", node,
                      "Check for 0/0 or the log or square root of a negative number.")
        if abs(value) > MAX_MAGNITUDE:
            self.fail(f"'{self.snippet(node)}' is too large a number", node)

    def binop(self, node: ast.BinOp) -> sympy.Expr:
        op = type(node.op)
        if op not in OPERATORS:
            symbol = FORBIDDEN_OPERATORS.get(op, op.__name__)
            hint = "Use ** for powers." if op is ast.BitXor else "Use + - * / and **."
            self.fail(f"The operator '{symbol}' is not allowed", node, hint)
        left, right = self.build(node.left), self.build(node.right)
        if op is ast.Add:
            return left + right
        if op is ast.Sub:
            return left - right
        if op is ast.Mult:
            return left * right
        if op is ast.Div:
            if constant_value(right) == 0:
                self.fail(f"Division by zero in '{self.snippet(node)}'", node)
            return left / right
        return self.power(left, right, node)

    def power(self, base, exponent, node) -> sympy.Expr:
        # Decide from cheap float estimates *before* sympy computes anything, so
        # 9**9**9**9 is refused instantly instead of filling memory with digits.
        e = constant_value(exponent)
        if e is not None:
            if abs(e) > MAX_EXPONENT:
                self.fail(f"The exponent in '{self.snippet(node)}' is too large", node,
                          f"Constant exponents must be between -{MAX_EXPONENT} and {MAX_EXPONENT}.")
            b = constant_value(base)
            if b is not None:
                if b == 0 and e < 0:
                    self.fail(f"Division by zero in '{self.snippet(node)}'", node)
                if b < 0 and not float(e).is_integer():
                    self.fail(f"'{self.snippet(node)}' is not a real number", node,
                              "A negative number to a fractional power is complex.")
                if b != 0 and abs(e) * math.log10(abs(b)) > math.log10(MAX_MAGNITUDE):
                    self.fail(f"'{self.snippet(node)}' is too large a number", node)
        return sympy.Pow(base, exponent)

    def unaryop(self, node: ast.UnaryOp) -> sympy.Expr:
        if type(node.op) is ast.USub:
            return -self.build(node.operand)
        if type(node.op) is ast.UAdd:
            return self.build(node.operand)
        self.fail(f"'{type(node.op).__name__}' is not allowed in a formula", node)

    def constant(self, node: ast.Constant) -> sympy.Expr:
        value = node.value
        # bool is a subclass of int, hence the exact type checks.
        if type(value) is int:
            if value > MAX_MAGNITUDE:
                self.fail(f"The number '{self.snippet(node)}' is too large", node)
            return sympy.Integer(value)
        if type(value) is float:
            if not math.isfinite(value) or value > MAX_MAGNITUDE:
                self.fail(f"The number '{self.snippet(node)}' is too large", node)
            return sympy.Float(value)
        if type(value) is complex:
            self.fail("Complex numbers are not allowed", node)
        self.fail(f"Only numbers are allowed, not {type(value).__name__} values", node)

    def name(self, node: ast.Name) -> sympy.Expr:
        if node.id in VARIABLES:
            return VARIABLES[node.id]
        if node.id in CONSTANTS:
            return CONSTANTS[node.id]
        if node.id in FUNCTIONS:
            self.fail(f"'{node.id}' is a function", node, f"Write {node.id}(...) with an argument.")
        self.fail(f"Unknown name '{node.id}'", node, VOCABULARY)

    def call(self, node: ast.Call) -> sympy.Expr:
        func = node.func
        if type(func) is not ast.Name:
            if type(func) is ast.Constant:
                self.fail("A number followed by '('", node,
                          f"Write * for multiplication, e.g. {self.snippet(func)}*(...).")
            self.fail("Only calls of the allowed functions are allowed", node, VOCABULARY)
        if func.id in VARIABLES or func.id in CONSTANTS:
            self.fail(f"'{func.id}' is not a function", node, f"Write {func.id}*(...) to multiply.")
        if func.id not in FUNCTIONS:
            self.fail(f"Unknown function '{func.id}'", node, VOCABULARY)
        if node.keywords:
            self.fail(f"Keyword arguments are not allowed in {func.id}(...)", node)
        if any(type(arg) is ast.Starred for arg in node.args):
            self.fail("'*' unpacking is not allowed", node)
        arity, builder = FUNCTIONS[func.id]
        if len(node.args) != arity:
            plural = "s" if arity > 1 else ""
            self.fail(f"{func.id}() takes {arity} argument{plural}, got {len(node.args)}", node)
        return builder(*(self.build(arg) for arg in node.args))
