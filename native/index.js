'use strict';
// The compiled addon (native/build/Release/aae_native.node), built by `node-gyp rebuild` at install.
module.exports = require('./build/Release/aae_native.node');
