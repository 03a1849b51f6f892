'use strict';

// Disabling a stack's event source mappings before the stack is deleted. CloudFormation
// deletes resources in its own order and a mapping keeps polling until its own deletion
// completes; an experiment that is looping when `sls remove` starts would keep invoking the
// function (and sending messages) during the teardown. Disabling first stops the pollers.

const {
  GetEventSourceMappingCommand,
  UpdateEventSourceMappingCommand,
  paginateListEventSourceMappings,
} = require('@aws-sdk/client-lambda');

const { withRetries } = require('./retry');

const MAPPING = 'AWS::Lambda::EventSourceMapping';
const FUNCTION = 'AWS::Lambda::Function';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The UUIDs of every mapping of the stack: its own mapping resources, plus any mapping that
 * points at one of its functions (e.g. one created by hand during an experiment), which
 * would otherwise survive the stack and fail on a function that no longer exists.
 *
 * Listing a function's mappings is retried (`retry`: withRetries options); when it still
 * fails, `onListError(logicalId, error)` hears it and the stack's own mappings are returned.
 */
async function findStackMappings(lambda, stackResources, { retry = {}, onListError } = {}) {
  const found = new Map();
  for (const r of stackResources) {
    if (r.ResourceType === MAPPING && r.PhysicalResourceId) {
      found.set(r.PhysicalResourceId, r.LogicalResourceId);
    }
  }
  for (const r of stackResources) {
    if (r.ResourceType !== FUNCTION || !r.PhysicalResourceId) continue;
    let uuids;
    try {
      uuids = await withRetries(() => listFunctionMappings(lambda, r.PhysicalResourceId), retry);
    } catch (error) {
      if (!onListError) throw error;
      onListError(r.LogicalResourceId, error);
      continue;
    }
    for (const uuid of uuids) {
      if (!found.has(uuid)) found.set(uuid, `(not in stack, on ${r.LogicalResourceId})`);
    }
  }
  return found;
}

async function listFunctionMappings(lambda, functionName) {
  const uuids = [];
  for await (const page of paginateListEventSourceMappings(
    { client: lambda },
    { FunctionName: functionName }
  )) {
    for (const m of page.EventSourceMappings || []) uuids.push(m.UUID);
  }
  return uuids;
}

/**
 * Disables one mapping and waits until Lambda reports it Disabled. Returns the final state.
 * Lambda goes Enabled -> Disabling -> Disabled asynchronously; only "Disabled" means no
 * poller will start another invocation.
 */
async function disableMapping(lambda, uuid, { timeoutMs, pollMs }) {
  const current = await lambda.send(new GetEventSourceMappingCommand({ UUID: uuid }));
  if (current.State !== 'Disabled') {
    await lambda.send(new UpdateEventSourceMappingCommand({ UUID: uuid, Enabled: false }));
  }
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { State: state } = await lambda.send(new GetEventSourceMappingCommand({ UUID: uuid }));
    if (state === 'Disabled' || Date.now() >= deadline) return state;
    await sleep(pollMs);
  }
}

module.exports = { findStackMappings, disableMapping };
