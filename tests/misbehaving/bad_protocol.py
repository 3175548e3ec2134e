"""A `cmd:` target that breaks the JSON Lines protocol in one way, named by its argument:

noise      prints a line of text before every reply        partial  writes half a reply, then exits
huge       a reply line of 64 MiB with no newline          bad_id   answers with another request's id
bad_hex    a result element that is not a hex float        inexact  a float32 result that is not a float32
no_hello   exits with status 5 before its hello            old      says hello in protocol version 99
bad_kind   an error of a kind the protocol does not name   shape    a result whose data does not fit its shape
"""

import json
import sys

MODE = sys.argv[1]
if MODE == "no_hello":
    sys.stderr.write("cannot find my model file\n")
    sys.exit(5)
hello = {
    "type": "hello",
    "protocol": 99 if MODE == "old" else 1,
    "name": "bad",
    "version": "0",
    "dtypes": ["float32"],
    "features": {"grad": False, "checks": []},
}
print(json.dumps(hello), flush=True)
for line in sys.stdin:
    rid = json.loads(line)["id"]
    value = {"dtype": "float32", "shape": [], "data": ["-0x1p-1"]}
    reply = {"type": "result", "id": rid, "value": value}
    if MODE == "noise":
        print("computing...", flush=True)
    elif MODE == "partial":
        sys.stdout.write(json.dumps(reply)[:20])
        sys.stdout.flush()
        sys.exit(0)
    elif MODE == "huge":
        sys.stdout.write("[" + "0," * (32 << 20))
        sys.stdout.flush()
    elif MODE == "bad_id":
        reply["id"] = rid + 1000
    elif MODE == "bad_hex":
        value["data"] = ["0.5"]
    elif MODE == "inexact":
        value["data"] = ["0x1.0000000000001p-1"]
    elif MODE == "bad_kind":
        reply = {"type": "error", "id": rid, "kind": "segfault", "message": "?"}
    elif MODE == "shape":
        value["shape"] = [3]
    print(json.dumps(reply), flush=True)
