#!/usr/bin/env node
// Standard-JSON front end to solc-js (the pinned npm `solc` package).
//
//   node solc-standard-json.js --standard-json  < input.json > output.json
//   node solc-standard-json.js --version
//
// Why not `solcjs --standard-json`: through a pipe its output was cut near
// 64 KiB (process.stdout writes are asynchronous and the process exits first)
// and it prints an SMT-solver notice before the JSON. This script reads all of
// stdin first (working on the non-blocking stdin that ezkl hands its compiler),
// compiles in-process, and writes the whole answer with fs.writeSync, retrying
// on EAGAIN, so the JSON is the only thing on stdout and it is never cut.
// It also answers `--version` like the native `solc`, so tools that expect a
// solc binary (ezkl's svm lookup, `forge build --use`) accept it.
"use strict";

const fs = require("fs");
const path = require("path");

function loadSolc() {
  const candidates = [
    process.env.ZKREVOX_SOLCJS,
    path.join(__dirname, "..", "..", "node_modules", "solc"),
  ].filter(Boolean);
  for (const dir of candidates) {
    try {
      return require(dir);
    } catch (err) {
      if (err.code !== "MODULE_NOT_FOUND") throw err;
    }
  }
  process.stderr.write("solc-js not found in node_modules; run `make setup` (npm ci)\n");
  process.exit(3);
}

function sleepMs(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function writeAll(fd, text) {
  const buf = Buffer.from(text, "utf8");
  let off = 0;
  while (off < buf.length) {
    try {
      off += fs.writeSync(fd, buf, off, buf.length - off);
    } catch (err) {
      if (err.code !== "EAGAIN") throw err;
      sleepMs(2);
    }
  }
}

function readAllStdin(onDone) {
  const chunks = [];
  process.stdin.on("data", (c) => chunks.push(c));
  process.stdin.on("end", () => onDone(Buffer.concat(chunks).toString("utf8")));
  process.stdin.on("error", (err) => {
    process.stderr.write(`reading stdin failed: ${err.message}\n`);
    process.exit(3);
  });
}

function findImports(importPath) {
  // Imports resolve against the current directory (the callers pass every
  // source inline, so this only serves stray absolute/relative imports).
  try {
    return { contents: fs.readFileSync(path.resolve(importPath), "utf8") };
  } catch (err) {
    return { error: `import not found: ${importPath}` };
  }
}

const args = process.argv.slice(2);
const solc = loadSolc();
if (args.includes("--version") || args.includes("-v")) {
  writeAll(1, `solc, the solidity compiler commandline interface\nVersion: ${solc.version()}\n`);
  process.exit(0);
}
if (!args.includes("--standard-json")) {
  process.stderr.write("usage: solc-standard-json.js --standard-json < input.json | --version\n");
  process.exit(2);
}
readAllStdin((input) => {
  const output = solc.compile(input, { import: findImports });
  writeAll(1, output);
  process.exit(0);
});
