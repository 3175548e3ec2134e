#!/usr/bin/env node
// A deliberately broken copy of cosine.js: sum_over_batch_size divides by the batch size (the first
// dimension) instead of N, the number of elements of the loss tensor. cosine-spec must reject it naming
// CS-RED-3 (and CS-RED-4, "auto"), e.g. on the axis family's rank-3 cases:
//     cosine-spec check "cmd:node examples/js/broken.js"      (exit status 1)
"use strict";
require("./cosine.js").serve("cosine-js-broken", (P) => P.shape[0]);
