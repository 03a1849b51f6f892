'use strict';
class ExperimentHooks { constructor() { this.hooks = {}; } }
module.exports = ExperimentHooks;
