"""The one exception the reference implementation raises for arguments the spec rejects.

It is a ``ValueError`` (the seed page documents ``ValueError``; the conformance harness expects
one), so ``except ValueError`` catches it.
"""


class CosineSimilarityError(ValueError):
    """An argument of the cosine similarity loss that the spec rejects (CS-ERR-1, CS-ERR-2, CS-RED-6,
    CS-SW-5, CS-OUT-1). The message says what was received, what is allowed and how to fix it."""
