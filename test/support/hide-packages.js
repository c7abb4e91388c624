// Preloaded with `node -r`: makes the packages named in MEMOIR_HIDE_PACKAGES (comma-separated)
// impossible to resolve, as if they were not installed.
const Module = require('node:module');
const hidden = new Set((process.env.MEMOIR_HIDE_PACKAGES || '').split(',').filter(Boolean));
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  if (hidden.has(request)) {
    const error = new Error(`Cannot find module '${request}'`);
    error.code = 'MODULE_NOT_FOUND';
    throw error;
  }
  return resolve.call(this, request, ...rest);
};
