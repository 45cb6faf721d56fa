'use strict';
/* global require, module, __dirname */
/* eslint-disable @typescript-eslint/no-require-imports -- CommonJS loader for a .node binary */
// pantap-live: loader for the native addon. Throws at require() time when the addon
// was not built (e.g. libpcap-dev or a C++ toolchain was missing at install time), so
// callers can treat live capture as unavailable with a single try/catch.

const path = require('node:path');

function load() {
  let firstError = null;
  for (const rel of ['build/Release/pantap_live.node', 'build/Debug/pantap_live.node']) {
    try {
      return require(path.join(__dirname, rel));
    } catch (err) {
      // Prefer a real load failure (e.g. libpcap.so missing) over "file not found".
      if (firstError === null || (firstError.code === 'MODULE_NOT_FOUND' && err.code !== 'MODULE_NOT_FOUND')) {
        firstError = err;
      }
    }
  }
  const notBuilt = firstError && firstError.code === 'MODULE_NOT_FOUND';
  const err = new Error(
    notBuilt
      ? 'pantap-live native addon is not built (install libpcap-dev and a C++ toolchain, then run `npm install` again in the pantap folder)'
      : `pantap-live native addon failed to load: ${firstError && firstError.message}`,
    { cause: firstError },
  );
  err.code = 'ERR_PANTAP_LIVE_UNAVAILABLE';
  throw err;
}

const binding = load();

module.exports = {
  listInterfaces: binding.listInterfaces,
  open: binding.open,
  libpcapVersion: binding.libpcapVersion,
  LiveHandle: binding.LiveHandle,
  BpfFilter: binding.BpfFilter,
};
