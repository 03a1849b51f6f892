'use strict';

// node --test serverless-plugins/experiment-hooks/test  (pytest runs it too: test_plugin.py)

const test = require('node:test');
const assert = require('node:assert/strict');
const { validateScenarios } = require('../lib/scenarios');

// The shape of the compiled template, cut down to what the check reads.
const template = {
  Resources: {
    Queue: { Type: 'AWS::SQS::Queue', Properties: {} },
    DeadLetterQueue: { Type: 'AWS::SQS::Queue', Properties: {} },
    RecursiveLambdaFunction: { Type: 'AWS::Lambda::Function', Properties: {} },
    RecursiveEventSourceMappingSQSQueue: {
      Type: 'AWS::Lambda::EventSourceMapping',
      Properties: {
        EventSourceArn: { 'Fn::GetAtt': ['Queue', 'Arn'] },
        FunctionName: { 'Fn::GetAtt': ['RecursiveLambdaFunction', 'Arn'] },
      },
    },
  },
};

const aliases = { queue: 'Queue', dlq: 'DeadLetterQueue', recursive: 'RecursiveLambdaFunction' };

function doc(steps, extra = {}) {
  return { version: 1, aliases, scenarios: { s1: { description: 'd', steps, ...extra } } };
}

const check = (d) => validateScenarios(d, template, 'scenarios.yaml');

test('aliases and logical IDs of the right type pass', () => {
  assert.deepEqual(
    check(
      doc([
        { purge: { queues: ['queue', 'DeadLetterQueue'] } },
        { seed: { queue: 'queue', body: { counter: 5 } } },
        { connect: { function: 'recursive', source: 'queue' } },
        { wait: { until: [{ metric: 'total', queue: 'dlq', equals: 0 }], timeout: 60 } },
        { recursion: { function: 'RecursiveLambdaFunction', mode: 'Allow' } },
      ])
    ),
    []
  );
});

test('an unknown queue names file, scenario, step index, the name and the choices', () => {
  const errors = check(doc([{ purge: {} }, { seed: { queue: 'dql', body: {} } }]));
  assert.equal(errors.length, 1);
  assert.match(errors[0], /^scenarios\.yaml: scenario "s1", steps\[1\] \(seed\): queue "dql"/);
  assert.match(errors[0], /valid: dlq, queue, DeadLetterQueue, Queue$/);
});

test('a function where a queue belongs is rejected (type, not just existence)', () => {
  const errors = check(doc([{ seed: { queue: 'recursive' } }]));
  assert.equal(errors.length, 1);
  assert.match(errors[0], /queue "recursive" is not .* AWS::SQS::Queue/);
});

test('a queue where a function belongs is rejected', () => {
  const errors = check(doc([{ recursion: { function: 'queue', mode: 'Allow' } }]));
  assert.match(errors[0], /function "queue" is not .* AWS::Lambda::Function.*valid: recursive, RecursiveLambdaFunction$/);
});

test('every bad name is reported, in lists, nested conditions, finally and stop_when', () => {
  const errors = check(
    doc([{ purge: { queues: ['queue', 'nope'] } }, { wait: { until: { source: 'gone' } } }], {
      finally: [{ disconnect: { function: 'missing', source: 'dlq' } }],
      stop_when: [{ metric: 'invocations', function: 'other', at_least: 200 }],
    })
  );
  assert.equal(errors.length, 4, errors.join('\n'));
  assert.match(errors[0], /steps\[0\] \(purge\): queues "nope"/);
  assert.match(errors[1], /steps\[1\] \(wait\): source "gone"/);
  assert.match(errors[2], /finally\[0\] \(disconnect\): function "missing"/);
  assert.match(errors[3], /stop_when\[0\] \(metric invocations\): function "other"/);
});

test('parameter references are skipped', () => {
  assert.deepEqual(check(doc([{ seed: { queue: '${target}' } }])), []);
});

test('connecting a function to a queue without a mapping in the template fails', () => {
  const errors = check(doc([{ connect: { function: 'recursive', source: 'dlq' } }]));
  assert.equal(errors.length, 1);
  assert.match(errors[0], /no event source mapping from DeadLetterQueue to RecursiveLambdaFunction/);
  assert.match(errors[0], /valid: RecursiveLambdaFunction <- Queue \(RecursiveEventSourceMappingSQSQueue\)/);
});

test('function and source in sibling conditions are not taken for a mapping', () => {
  const step = { expect: [{ metric: 'invocations', function: 'recursive' }, { source: 'dlq' }] };
  assert.deepEqual(check(doc([step])), []);
});

test('an alias pointing at nothing in the template is an error', () => {
  const d = doc([]);
  d.aliases = { ...aliases, old: 'OldQueue' };
  const errors = check(d);
  assert.equal(errors.length, 1);
  assert.match(errors[0], /alias "old" points at "OldQueue".*valid: DeadLetterQueue, Queue, /);
});

test('shapes the Python loader owns are not second-guessed here', () => {
  assert.deepEqual(check({ version: 1, scenarios: { s: 'not a mapping' } }), []);
  assert.deepEqual(check({ version: 1, scenarios: { s: { steps: 'nope' } } }), []);
  assert.equal(check(['a', 'list']).length, 1);
});
