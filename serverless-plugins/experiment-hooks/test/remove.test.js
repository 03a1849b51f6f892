'use strict';

// Every path of the before:remove hook (disableMappings), against fake AWS clients.
// node --test serverless-plugins/experiment-hooks/test  (pytest runs it too: test_plugin.py)
//
// The rule: `sls remove` never aborts because of this hook. Deleting the stack deletes its
// mappings, so when listing or disabling fails (after retries) the hook says so and lets
// the removal go on; only a stack that is not there at all ends it quietly.

const test = require('node:test');
const assert = require('node:assert/strict');
const { CloudFormationClient } = require('@aws-sdk/client-cloudformation');
const { LambdaClient } = require('@aws-sdk/client-lambda');

const ExperimentHooks = require('..');

process.env.LOOPLAB_REMOVE_RETRY_DELAY = '0';
process.env.LOOPLAB_DISABLE_POLL = '0';
process.env.LOOPLAB_DISABLE_TIMEOUT = '0';

const AWS = { region: 'eu-central-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } };
const STACK = [
  { LogicalResourceId: 'Fn', ResourceType: 'AWS::Lambda::Function', PhysicalResourceId: 'fn' },
  {
    LogicalResourceId: 'Mapping',
    ResourceType: 'AWS::Lambda::EventSourceMapping',
    PhysicalResourceId: 'uuid-1',
  },
];

function awsError(name, message) {
  return Object.assign(new Error(message), { name });
}

// A fake client: a real SDK client (the paginators check the class) whose send() answers
// by command name from `answers`, counting the calls.
function client(Client, answers, calls) {
  const c = new Client(AWS);
  c.send = async (command) => {
    const name = command.constructor.name.replace(/Command$/, '');
    calls.push(name);
    const answer = answers[name];
    if (!answer) throw new Error(`unexpected ${name}`);
    return answer(command.input, calls.filter((n) => n === name).length);
  };
  return c;
}

function hooks({ cfn = {}, lambda = {}, lambdaFails = null } = {}) {
  const logs = { notice: [], warning: [], info: [], error: [] };
  const log = {};
  for (const level of Object.keys(logs)) log[level] = (m) => logs[level].push(m);
  const provider = {
    naming: { getStackName: () => 'looplab-dev' },
    getStage: () => 'dev',
    getRegion: () => AWS.region,
    getAwsSdkV3Config: async () => AWS,
  };
  const serverless = {
    getProvider: () => provider,
    service: { service: 'looplab', provider: {}, package: {} },
    config: { servicePath: '/nonexistent' },
    classes: { Error },
  };
  const plugin = new ExperimentHooks(serverless, {}, { log });
  const calls = [];
  plugin.cloudFormation = async () => client(CloudFormationClient, cfn, calls);
  plugin.lambda = async () => {
    if (lambdaFails) throw lambdaFails;
    return client(LambdaClient, lambda, calls);
  };
  return { plugin, logs, calls };
}

const listed = { ListStackResources: () => ({ StackResourceSummaries: STACK }) };
const disabling = (states) => ({
  ListEventSourceMappings: () => ({ EventSourceMappings: [{ UUID: 'uuid-1' }] }),
  GetEventSourceMapping: (_, n) => ({ State: states[Math.min(n - 1, states.length - 1)] }),
  UpdateEventSourceMapping: () => ({}),
});

test('the happy path disables the mapping and says so', async () => {
  const { plugin, logs, calls } = hooks({
    cfn: listed,
    lambda: disabling(['Enabled', 'Disabled']),
  });
  await plugin.disableMappings();
  assert.ok(calls.includes('UpdateEventSourceMapping'));
  assert.match(logs.notice.join('\n'), /1 of 1 event source mappings of looplab-dev disabled/);
  assert.deepEqual(logs.warning, []);
});

test('a stack that does not exist ends the hook quietly, touching no mapping', async () => {
  const { plugin, logs, calls } = hooks({
    cfn: {
      ListStackResources: () => {
        throw awsError('ValidationError', 'Stack with id looplab-dev does not exist');
      },
    },
  });
  await plugin.disableMappings();
  assert.deepEqual(calls, ['ListStackResources']);
  assert.deepEqual(logs.warning, []);
});

test('listing the stack is retried, then the mappings are disabled', async () => {
  const { plugin, logs, calls } = hooks({
    cfn: {
      ListStackResources: (_, n) => {
        if (n < 3) throw awsError('Throttling', 'Rate exceeded');
        return { StackResourceSummaries: STACK };
      },
    },
    lambda: disabling(['Enabled', 'Disabled']),
  });
  await plugin.disableMappings();
  assert.equal(calls.filter((c) => c === 'ListStackResources').length, 3);
  assert.match(logs.notice.join('\n'), /1 of 1 event source mappings/);
  assert.deepEqual(logs.warning, []);
});

test('listing the stack that keeps failing does not abort the removal, and says so', async () => {
  process.env.LOOPLAB_REMOVE_RETRIES = '4';
  try {
    const { plugin, logs, calls } = hooks({
      cfn: {
        ListStackResources: () => {
          throw awsError('AccessDenied', 'not allowed: cloudformation:ListStackResources');
        },
      },
    });
    await plugin.disableMappings(); // resolves: the removal goes on
    assert.equal(calls.filter((c) => c === 'ListStackResources').length, 4);
    const warning = logs.warning.join('\n');
    assert.match(warning, /could not list the resources of looplab-dev/);
    assert.match(warning, /AccessDenied/);
    assert.match(warning, /removal goes on/);
    assert.match(warning, /deleting the stack deletes its mappings/);
  } finally {
    delete process.env.LOOPLAB_REMOVE_RETRIES;
  }
});

test('a Lambda client that cannot be built does not abort the removal', async () => {
  const { plugin, logs } = hooks({ cfn: listed, lambdaFails: new Error('no region') });
  await plugin.disableMappings();
  assert.match(logs.warning.join('\n'), /no region.*removal goes on/s);
});

test('listing the mappings of a function fails: its own mappings are still disabled', async () => {
  const lambda = disabling(['Enabled', 'Disabled']);
  lambda.ListEventSourceMappings = () => {
    throw awsError('ServiceException', 'boom');
  };
  const { plugin, logs, calls } = hooks({ cfn: listed, lambda });
  await plugin.disableMappings();
  assert.equal(calls.filter((c) => c === 'ListEventSourceMappings').length, 3);
  assert.ok(calls.includes('UpdateEventSourceMapping'));
  const warning = logs.warning.join('\n');
  assert.match(warning, /could not list the event source mappings of Fn/);
  assert.match(warning, /ServiceException boom/);
  assert.match(logs.notice.join('\n'), /1 of 1 event source mappings/);
});

test('a mapping that cannot be disabled is reported and the removal goes on', async () => {
  const lambda = disabling(['Enabled']);
  lambda.UpdateEventSourceMapping = () => {
    throw awsError('ResourceConflictException', 'in use');
  };
  const { plugin, logs } = hooks({ cfn: listed, lambda });
  await plugin.disableMappings();
  const warning = logs.warning.join('\n');
  assert.match(warning, /Mapping \(uuid-1\): error: ResourceConflictException in use/);
  assert.match(logs.notice.join('\n'), /0 of 1 event source mappings/);
});

test('a mapping still Disabling at the timeout is reported, not waited for forever', async () => {
  const { plugin, logs } = hooks({ cfn: listed, lambda: disabling(['Enabled', 'Disabling']) });
  await plugin.disableMappings();
  assert.match(logs.warning.join('\n'), /Mapping \(uuid-1\): Disabling/);
});

test('an unexpected error anywhere in the hook is a warning, never an abort', async () => {
  const { plugin, logs } = hooks({ cfn: listed, lambda: disabling(['Enabled', 'Disabled']) });
  plugin.provider.naming.getStackName = () => {
    throw new TypeError('naming broke');
  };
  await plugin.disableMappings();
  assert.match(logs.warning.join('\n'), /naming broke.*removal goes on/s);
});
