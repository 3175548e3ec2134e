"""Correct values, but leaves a non-daemon thread running forever (the process would never exit)."""

import threading
import time

from cosine_spec.impl import loss

threading.Thread(target=lambda: time.sleep(10**6), daemon=False).start()
f = loss
