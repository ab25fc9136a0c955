#!/usr/bin/env node
// Thin launcher: the CLI lives in the compiled library (npm install builds it).
import { main } from '../dist/src/cli/main.js';

await main(process.argv);
