"""cosine_spec.spec: the normative text, its clauses, the exact oracle, the case catalogue, golden data."""

SPEC_VERSION = "0.1.0"
