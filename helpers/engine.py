"""A tiny reverse-mode automatic differentiation engine on scalars.

Introduced in chapter "Backpropagation by hand, checked against the tape", which builds
this exact code one idea at a time (in the spirit of Karpathy's micrograd) and then
checks that this copy agrees with it. Exercises and later chapters import it from here.

Every :class:`Value` holds one number (``data``), the derivative of the final output
with respect to it (``grad``, filled in by :meth:`Value.backward`), the Values it was
computed from (``_prev``), the operation that made it (``_op``) and a closure
(``_backward``) that applies the chain rule for that one operation.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

__all__ = ["Value", "topological_order"]


def _as_number(x, what: str) -> float:
    """``x`` as a finite Python float, or a clear TypeError / ValueError."""
    if isinstance(x, np.ndarray):
        if x.ndim != 0:
            raise ValueError(
                f"{what} must be a single number, got an array of shape {x.shape}; "
                "Value holds scalars only (use helpers.mlp for arrays)"
            )
        x = x.item()
    if hasattr(x, "numpy") and hasattr(x, "shape"):  # a tf.Tensor
        raise TypeError(f"{what} must be a Python or NumPy number, got a {type(x).__name__}; "
                        "convert it with float(t) first")
    if isinstance(x, (bool, np.bool_)) or not isinstance(x, numbers.Real):
        raise TypeError(f"{what} must be a real number (int or float), got {type(x).__name__} {x!r}")
    x = float(x)
    if not math.isfinite(x):
        raise ValueError(f"{what} must be finite, got {x}")
    return x


class Value:
    """One scalar in a computation graph, with its gradient.

    Introduced in chapter "Backpropagation by hand, checked against the tape".

    ``Value(data, children=(), op="", label="")``: ``data`` is a real number (int,
    float or NumPy scalar; anything else is a ``TypeError``, an array with more than
    one element or a NaN/inf a ``ValueError``). ``children`` and ``op`` are set by the
    operations (``+ - * / **``, :meth:`exp`, :meth:`log`, :meth:`tanh`,
    :meth:`sigmoid`, :meth:`relu`); ``label`` is a name used in drawings.

    ``out.backward()`` fills in ``.grad`` of every Value that ``out`` depends on with
    d out / d value. Gradients accumulate (``+=``), so call :meth:`zero_grad` before a
    second backward pass over the same graph.
    """

    __slots__ = ("data", "grad", "label", "_prev", "_op", "_backward")

    def __init__(self, data, children=(), op: str = "", label: str = ""):
        self.data = _as_number(data, "data")
        self.grad = 0.0
        children = tuple(children)
        for child in children:
            if not isinstance(child, Value):
                raise TypeError(f"children must be Values, got {type(child).__name__}")
        if not isinstance(op, str) or not isinstance(label, str):
            raise TypeError("op and label must be strings")
        self._prev = children
        self._op = op
        self.label = label
        self._backward = lambda: None  # a leaf has nothing to pass on

    def __repr__(self) -> str:
        name = f"{self.label}=" if self.label else ""
        return f"Value({name}{self.data:.6g}, grad={self.grad:.6g})"

    @staticmethod
    def _wrap(other) -> Value:
        if isinstance(other, Value):
            return other
        return Value(_as_number(other, "the other operand"))

    # ------------------------------------------------------------------ + − × **
    def __add__(self, other) -> Value:
        other = Value._wrap(other)
        out = Value(self.data + other.data, (self, other), "+")

        def _backward():
            self.grad += out.grad  # d(a+b)/da = 1; += because a Value may be used many times
            other.grad += out.grad

        out._backward = _backward
        return out

    def __mul__(self, other) -> Value:
        other = Value._wrap(other)
        out = Value(self.data * other.data, (self, other), "×")

        def _backward():
            self.grad += other.data * out.grad  # d(a·b)/da = b
            other.grad += self.data * out.grad

        out._backward = _backward
        return out

    def __pow__(self, exponent) -> Value:
        if isinstance(exponent, Value):
            raise TypeError("only a constant exponent is supported: x ** 2, not x ** Value(2)")
        k = _as_number(exponent, "the exponent")
        if self.data == 0 and k < 1:
            raise ValueError(f"0 ** {k} has no finite derivative")
        if self.data < 0 and not float(k).is_integer():
            raise ValueError(f"a negative number to the power {k} is not a real number")
        out = Value(self.data**k, (self,), f"**{k:g}")

        def _backward():
            self.grad += k * self.data ** (k - 1) * out.grad

        out._backward = _backward
        return out

    # Everything else is built from the operations above.
    def __neg__(self) -> Value:
        return self * -1

    def __sub__(self, other) -> Value:
        other = Value._wrap(other)
        out = Value(self.data - other.data, (self, other), "−")

        def _backward():
            self.grad += out.grad
            other.grad -= out.grad  # d(a−b)/db = −1

        out._backward = _backward
        return out

    def __truediv__(self, other) -> Value:
        other = Value._wrap(other)
        if other.data == 0:
            raise ZeroDivisionError("division by a Value whose data is 0")
        return self * other**-1

    def __radd__(self, other) -> Value:
        return self + other

    def __rmul__(self, other) -> Value:
        return self * other

    def __rsub__(self, other) -> Value:
        return Value._wrap(other) - self

    def __rtruediv__(self, other) -> Value:
        return Value._wrap(other) / self

    # ------------------------------------------------------------------ functions
    def exp(self) -> Value:
        try:
            e = math.exp(self.data)
        except OverflowError:
            raise ValueError(f"exp({self.data}) overflows a float") from None
        out = Value(e, (self,), "exp")

        def _backward():
            self.grad += out.data * out.grad  # d e^x / dx = e^x

        out._backward = _backward
        return out

    def log(self) -> Value:
        if self.data <= 0:
            raise ValueError(f"log needs a positive number, got {self.data}")
        out = Value(math.log(self.data), (self,), "log")

        def _backward():
            self.grad += out.grad / self.data  # d log x / dx = 1/x

        out._backward = _backward
        return out

    def tanh(self) -> Value:
        t = math.tanh(self.data)
        out = Value(t, (self,), "tanh")

        def _backward():
            self.grad += (1 - t * t) * out.grad

        out._backward = _backward
        return out

    def sigmoid(self) -> Value:
        x = self.data
        s = 1 / (1 + math.exp(-x)) if x >= 0 else math.exp(x) / (1 + math.exp(x))
        out = Value(s, (self,), "σ")

        def _backward():
            self.grad += s * (1 - s) * out.grad

        out._backward = _backward
        return out

    def relu(self) -> Value:
        out = Value(max(self.data, 0.0), (self,), "ReLU")

        def _backward():
            self.grad += (self.data > 0) * out.grad  # 0 at x = 0, like TensorFlow

        out._backward = _backward
        return out

    # ------------------------------------------------------------------ backprop
    def backward(self) -> None:
        """Fill in ``.grad`` of every Value this one depends on (reverse mode).

        Introduced in chapter "Backpropagation by hand, checked against the tape".
        Seeds ``self.grad = 1`` and calls each node's ``_backward`` in reverse
        topological order, so a node passes its gradient on only after every use of
        it has added its share.
        """
        order = topological_order(self)
        self.grad = 1.0
        for node in reversed(order):
            node._backward()

    def zero_grad(self) -> None:
        """Set ``.grad`` to 0 on this Value and every Value it depends on.

        Introduced in chapter "Backpropagation by hand, checked against the tape".
        """
        for node in topological_order(self):
            node.grad = 0.0


def topological_order(root: Value) -> list[Value]:
    """Every Value that ``root`` depends on, each after all of its children, ``root`` last.

    Introduced in chapter "Backpropagation by hand, checked against the tape". Uses an
    explicit stack, so deep graphs do not hit Python's recursion limit.
    """
    if not isinstance(root, Value):
        raise TypeError(f"expected a Value, got {type(root).__name__}")
    order, visited = [], set()
    stack = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        if children_done:
            order.append(node)
            continue
        if id(node) in visited:
            continue
        visited.add(id(node))
        stack.append((node, True))
        for child in reversed(node._prev):
            if id(child) not in visited:
                stack.append((child, False))
    return order
