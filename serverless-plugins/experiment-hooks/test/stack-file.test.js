'use strict';

// writeStackFile: the record lands whole, and never through a symlink planted where the
// temporary file used to be (`<file>.<pid>.tmp`) or at the record itself (issue 18).
// node --test serverless-plugins/experiment-hooks/test  (pytest runs it too: test_plugin.py)

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('fs');
const os = require('os');
const path = require('path');

const { writeStackFile } = require('../lib/stack-file');

const PRECIOUS = 'precious: never written by the plugin\n';

function scratch() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'looplab-stack-file-'));
  const victim = path.join(dir, 'victim.txt');
  fs.writeFileSync(victim, PRECIOUS);
  return { dir, victim, record: path.join(dir, '.looplab', 'stacks', 'dev.json') };
}

test('a symlink at the old temporary name is never written through', () => {
  const { dir, victim, record } = scratch();
  fs.mkdirSync(path.dirname(record), { recursive: true });
  fs.symlinkSync(victim, `${record}.${process.pid}.tmp`);
  writeStackFile(record, { formatVersion: 1, stage: 'dev' });
  assert.equal(fs.readFileSync(victim, 'utf8'), PRECIOUS);
  const written = JSON.parse(fs.readFileSync(record, 'utf8'));
  assert.deepEqual(written, { formatVersion: 1, stage: 'dev' });
  const left = fs.readdirSync(path.dirname(record)).filter((n) => n.endsWith('.tmp'));
  assert.deepEqual(left, [`dev.json.${process.pid}.tmp`]); // the planted link, left alone
  fs.rmSync(dir, { recursive: true, force: true });
});

test('a symlink at the record itself is replaced, not followed', () => {
  const { dir, victim, record } = scratch();
  fs.mkdirSync(path.dirname(record), { recursive: true });
  fs.symlinkSync(victim, record);
  writeStackFile(record, { formatVersion: 1 });
  assert.equal(fs.readFileSync(victim, 'utf8'), PRECIOUS);
  assert.equal(fs.lstatSync(record).isSymbolicLink(), false);
  fs.rmSync(dir, { recursive: true, force: true });
});
