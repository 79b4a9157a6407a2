"""Pure trading domain: instruments, pricing, conversion, netting, margin and risk.

Standard library only, no I/O, no clock reads: time is always a parameter. Values are frozen
dataclasses and functions return new values. Money and prices are ``Decimal`` throughout.
"""
