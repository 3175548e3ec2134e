"""Implementations that test the conformance harness itself (STYLE 11): `correct` ones must pass,
`wrong` ones must be rejected naming the clause of their bug. Both are built from `engine.make`, a
textbook implementation whose every knob is one possible bug; none of it is used by the harness."""
