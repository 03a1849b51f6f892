'use strict';

// looplab's Serverless plugin: where the stack meets the experiments.
//
//   after deploy     record stack name, stage, region, account, outputs and resources in
//                    .looplab/stacks/<stage>.json (the aws backend reads it; a loop shape's
//                    service other than looplab: <service>-<stage>.json)
//   before remove    disable every event source mapping of the stack, and confirm; a
//                    failure is retried, then reported, and never aborts the removal
//   after remove     delete the stack file
//   package/deploy   fail fast when scenarios.yaml names a queue, function or mapping the
//                    compiled template does not have (skipped when there is no scenarios.yaml,
//                    or when LOOPLAB_SKIP_SCENARIOS_CHECK=1: looplab's own packaging)
//   sls looplab-outputs   rewrite the stack file from the deployed stack
//
// osls 4 has no provider.request() (the AWS SDK v2 surface is gone): clients are SDK v3,
// built from provider.getAwsSdkV3Config() so they share osls's credentials, region, proxy
// and retry settings, and honour AWS_ENDPOINT_URL (which is how the tests reach moto).

const fs = require('fs');
const path = require('path');
const yaml = require('js-yaml');
const { CloudFormationClient } = require('@aws-sdk/client-cloudformation');
const { LambdaClient } = require('@aws-sdk/client-lambda');

const { validateScenarios } = require('./lib/scenarios');
const { findStackMappings, disableMapping } = require('./lib/mappings');
const { withRetries, describeError } = require('./lib/retry');
const {
  stackFilePath,
  describeDeployedStack,
  listStackResources,
  isMissingStackError,
  writeStackFile,
  deleteStackFile,
} = require('./lib/stack-file');

const SCENARIOS_FILE = 'scenarios.yaml';
const TEMPLATE_FILE = 'cloudformation-template-update-stack.json';

function envSeconds(name, fallback) {
  const value = Number(process.env[name]);
  return Number.isFinite(value) && value >= 0 ? value : fallback;
}

class ExperimentHooks {
  constructor(serverless, options = {}, utils = {}) {
    this.serverless = serverless;
    this.options = options;
    this.provider = serverless.getProvider('aws');
    this.log = utils.log || fallbackLog();

    this.commands = {
      'looplab-outputs': {
        usage: 'Rewrite .looplab/stacks/<stage>.json from the deployed stack',
        lifecycleEvents: ['write'],
      },
    };

    this.hooks = {
      // The template is complete here (custom resources and extensions merged) but not yet
      // written: a mismatch stops `sls package` before it produces an artifact.
      'before:aws:package:finalize:saveServiceState': () =>
        this.validateScenarios(this.serverless.service.provider.compiledCloudFormationTemplate),
      // `sls deploy --package DIR` skips packaging, so check the template it will deploy.
      'before:deploy:deploy': () => this.validatePrepackaged(),
      'after:deploy:deploy': () => this.recordStack(),
      'before:remove:remove': () => this.disableMappings(),
      'after:remove:remove': () => this.forgetStack(),
      'looplab-outputs:write': () => this.recordStack(),
    };
  }

  get servicePath() {
    return this.serverless.serviceDir || this.serverless.config.servicePath;
  }

  get stage() {
    return this.provider.getStage();
  }

  get stackFile() {
    return stackFilePath(this.servicePath, this.stage, this.serverless.service.service);
  }

  async awsConfig() {
    this.sdkConfigPromise ||= this.provider.getAwsSdkV3Config();
    return this.sdkConfigPromise;
  }

  async cloudFormation() {
    return new CloudFormationClient(await this.awsConfig());
  }

  async lambda() {
    return new LambdaClient(await this.awsConfig());
  }

  error(message, code) {
    return new this.serverless.classes.Error(message, code);
  }

  // --- scenarios.yaml against the compiled template ---------------------------------------

  validateScenarios(template) {
    const file = path.join(this.servicePath, SCENARIOS_FILE);
    if (!fs.existsSync(file)) return;
    // looplab's own packaging (for the simulator) sets this: its Python validator reports
    // the same problems with line numbers and close matches, and a broken scenarios.yaml
    // must not stop other scenario files from running.
    if (process.env.LOOPLAB_SKIP_SCENARIOS_CHECK === '1') {
      this.log.info(`looplab: ${SCENARIOS_FILE} check left to looplab's validator`);
      return;
    }
    let doc;
    try {
      doc = yaml.load(fs.readFileSync(file, 'utf8'), { filename: SCENARIOS_FILE });
    } catch (error) {
      throw this.error(`${SCENARIOS_FILE} is not valid YAML: ${error.message}`, 'LOOPLAB_SCENARIOS');
    }
    const errors = validateScenarios(doc, template, SCENARIOS_FILE);
    if (errors.length) {
      throw this.error(
        `${SCENARIOS_FILE} does not match the stack (${errors.length} problem` +
          `${errors.length === 1 ? '' : 's'}):\n  - ${errors.join('\n  - ')}`,
        'LOOPLAB_SCENARIOS'
      );
    }
    this.log.info(`looplab: ${SCENARIOS_FILE} matches the compiled template`);
  }

  validatePrepackaged() {
    const dir = this.options.package || this.serverless.service.package.path;
    if (!dir) return; // packaged in this run: already checked before saveServiceState
    const templatePath = path.resolve(this.servicePath, dir, TEMPLATE_FILE);
    if (!fs.existsSync(templatePath)) return; // osls itself reports the missing package
    this.validateScenarios(JSON.parse(fs.readFileSync(templatePath, 'utf8')));
  }

  // --- the stack file ---------------------------------------------------------------------

  async recordStack() {
    const record = await describeDeployedStack({
      cloudFormation: await this.cloudFormation(),
      stackName: this.provider.naming.getStackName(),
      stage: this.stage,
      region: this.provider.getRegion(),
      service: this.serverless.service.service,
    });
    writeStackFile(this.stackFile, record);
    this.log.notice(
      `looplab: recorded ${Object.keys(record.outputs).length} outputs of ${record.stackName} ` +
        `in ${path.relative(this.servicePath, this.stackFile)}`
    );
  }

  forgetStack() {
    if (deleteStackFile(this.stackFile)) {
      this.log.notice(`looplab: deleted ${path.relative(this.servicePath, this.stackFile)}`);
    }
  }

  // --- before remove: stop every poller first ----------------------------------------------

  // Never aborts `sls remove`: disabling first is a courtesy (deleting the stack deletes its
  // mappings too), and throwing here would leave a possibly looping stack in place. What
  // could not be done is retried, then said, and the removal goes on.
  async disableMappings() {
    try {
      await this.disableMappingsOrThrow();
    } catch (error) {
      this.log.warning(
        `looplab: could not disable the event source mappings first (${describeError(error)}); ` +
          'the removal goes on: deleting the stack deletes its mappings'
      );
    }
  }

  async disableMappingsOrThrow() {
    const stackName = this.provider.naming.getStackName();
    const retry = {
      attempts: Math.max(1, Math.floor(envSeconds('LOOPLAB_REMOVE_RETRIES', 3))),
      delayMs: envSeconds('LOOPLAB_REMOVE_RETRY_DELAY', 2) * 1000,
    };
    let resources;
    try {
      resources = await withRetries(
        async () => listStackResources(await this.cloudFormation(), stackName),
        { ...retry, retryIf: (error) => !isMissingStackError(error) }
      );
    } catch (error) {
      if (isMissingStackError(error)) return; // nothing deployed: osls reports it
      this.log.warning(
        `looplab: could not list the resources of ${stackName} after ${retry.attempts} ` +
          `attempts (${describeError(error)}); the removal goes on without disabling the ` +
          'mappings first: deleting the stack deletes its mappings'
      );
      return;
    }
    const lambda = await this.lambda();
    const mappings = await findStackMappings(lambda, resources, {
      retry,
      onListError: (logicalId, error) =>
        this.log.warning(
          `looplab: could not list the event source mappings of ${logicalId} ` +
            `(${describeError(error)}); disabling the stack's own mappings only`
        ),
    });
    const timeoutMs = envSeconds('LOOPLAB_DISABLE_TIMEOUT', 90) * 1000;
    const pollMs = envSeconds('LOOPLAB_DISABLE_POLL', 2) * 1000;
    const notConfirmed = [];
    for (const [uuid, logicalId] of mappings) {
      let state;
      try {
        state = await disableMapping(lambda, uuid, { timeoutMs, pollMs });
      } catch (error) {
        // Removal goes on regardless: deleting the stack deletes the mapping too, and
        // aborting here would leave a possibly looping stack in place.
        state = `error: ${describeError(error)}`;
      }
      if (state === 'Disabled') {
        this.log.notice(`looplab: disabled event source mapping ${logicalId} (${uuid})`);
      } else {
        notConfirmed.push(`${logicalId} (${uuid}): ${state}`);
      }
    }
    if (notConfirmed.length) {
      this.log.warning(
        'looplab: could not confirm these mappings are disabled; the stack removal will ' +
          `delete them anyway:\n  ${notConfirmed.join('\n  ')}`
      );
    }
    this.log.notice(
      `looplab: ${mappings.size - notConfirmed.length} of ${mappings.size} event source ` +
        `mappings of ${stackName} disabled before removal`
    );
  }
}

// Plugins loaded outside osls's plugin manager (none today) get no utils.log.
function fallbackLog() {
  const write = (message) => process.stderr.write(`${message}\n`);
  return { notice: write, warning: write, info: () => {}, error: write };
}

module.exports = ExperimentHooks;
