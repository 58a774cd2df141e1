'use strict';
// Entry point for Google Cloud Functions (gen2, nodejs22) and the local
// functions framework: `functions-framework --target=relay`. The settings are
// checked once at start; a bad setting stops the function with every problem
// listed (see relay.js for the variables).

const functions = require('@google-cloud/functions-framework');
const {loadConfig, createRelay} = require('./relay');

functions.http('relay', createRelay(loadConfig(process.env)));
