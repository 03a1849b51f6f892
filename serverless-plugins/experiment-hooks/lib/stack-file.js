'use strict';

// .looplab/stacks/<stage>.json: what the aws backend needs to address a deployed stack
// without asking CloudFormation on every run. The file is the contract between this plugin
// and looplab.stack; keep its keys stable.

const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const {
  DescribeStacksCommand,
  paginateListStackResources,
} = require('@aws-sdk/client-cloudformation');

const FORMAT_VERSION = 1;

// The post's stack (service "looplab") keeps <stage>.json; every other service (a loop
// shape of stacks/, e.g. looplab-sns) gets <service>-<stage>.json, so two shapes deployed
// on one stage never overwrite each other's record. looplab.cli.deploy.stack_file mirrors this.
function stackFilePath(servicePath, stage, service = 'looplab') {
  const name = !service || service === 'looplab' ? `${stage}.json` : `${service}-${stage}.json`;
  return path.join(servicePath, '.looplab', 'stacks', name);
}

function isMissingStackError(error) {
  return (
    error &&
    (error.name === 'ValidationError' || error.Code === 'ValidationError') &&
    /does not exist/.test(error.message || '')
  );
}

// The account the stack really lives in, from its ARN: no extra STS call, and it is the
// stack's account even when the caller assumed a role elsewhere.
function accountFromStackId(stackId) {
  const parts = String(stackId || '').split(':');
  return parts.length > 4 ? parts[4] : null;
}

async function listStackResources(cloudFormation, stackName) {
  const resources = [];
  for await (const page of paginateListStackResources(
    { client: cloudFormation },
    { StackName: stackName }
  )) {
    resources.push(...(page.StackResourceSummaries || []));
  }
  // moto lists the deployment bucket policy as an entry without a logical ID; skip such rows.
  return resources.filter((r) => r.LogicalResourceId);
}

/** Reads the deployed stack and returns the record written to the stack file. */
async function describeDeployedStack({ cloudFormation, stackName, stage, region, service }) {
  const { Stacks: stacks = [] } = await cloudFormation.send(
    new DescribeStacksCommand({ StackName: stackName })
  );
  const stack = stacks[0];
  if (!stack) throw new Error(`Stack ${stackName} not found`);
  const outputs = {};
  for (const output of stack.Outputs || []) outputs[output.OutputKey] = output.OutputValue;
  const resources = {};
  for (const r of await listStackResources(cloudFormation, stackName)) {
    resources[r.LogicalResourceId] = { type: r.ResourceType, physicalId: r.PhysicalResourceId };
  }
  return {
    formatVersion: FORMAT_VERSION,
    service,
    stackName,
    stackId: stack.StackId,
    stackStatus: stack.StackStatus,
    stage,
    region,
    account: accountFromStackId(stack.StackId),
    outputs,
    resources,
    recordedAt: new Date().toISOString(),
  };
}

// Write to a temporary file then rename, so a reader never sees half a file. The temporary
// file is created exclusively ('wx': O_CREAT | O_EXCL, which never opens an existing name or
// follows a symlink) under an unpredictable name: the fixed `<file>.<pid>.tmp` let a symlink
// planted there redirect the write to any file the user can write (looplab._files does the
// same for every file looplab writes).
function writeStackFile(filePath, record) {
  fs.mkdirSync(path.dirname(filePath), { recursive: true });
  const text = `${JSON.stringify(record, null, 2)}\n`;
  for (let attempt = 0; attempt < 100; attempt += 1) {
    const tmp = path.join(
      path.dirname(filePath),
      `.${path.basename(filePath)}.${crypto.randomBytes(8).toString('hex')}.tmp`,
    );
    let fd;
    try {
      fd = fs.openSync(tmp, 'wx', 0o666);
    } catch (error) {
      if (error.code === 'EEXIST') continue; // taken (or planted): another name
      throw error;
    }
    try {
      fs.writeFileSync(fd, text);
      fs.closeSync(fd);
      fd = undefined;
      fs.renameSync(tmp, filePath);
      return;
    } catch (error) {
      if (fd !== undefined) fs.closeSync(fd);
      fs.rmSync(tmp, { force: true });
      throw error;
    }
  }
  throw new Error(`no free temporary name beside ${filePath}`);
}

function deleteStackFile(filePath) {
  try {
    fs.unlinkSync(filePath);
    return true;
  } catch (error) {
    if (error.code === 'ENOENT') return false;
    throw error;
  }
}

module.exports = {
  stackFilePath,
  describeDeployedStack,
  listStackResources,
  isMissingStackError,
  accountFromStackId,
  writeStackFile,
  deleteStackFile,
};
