"""The optional C line scanner (openresponses_msgspec._native, docs/native.md); everything else is in pyproject.toml.

``optional=True``: without a compiler or the Python headers the install still succeeds, with a warning from
setuptools ("building optional extension ... failed"), and the package runs its pure-Python fallback
(``openresponses_msgspec.NATIVE`` is then False).
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "openresponses_msgspec._native",
            sources=["src/openresponses_msgspec/_native.c"],
            depends=["src/openresponses_msgspec/_native_core.h"],
            optional=True,
        )
    ]
)
