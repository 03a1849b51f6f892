'use strict';

// Checks that scenarios.yaml only names queues, functions and mappings the compiled template
// has. Deliberately narrow: the Python loader (looplab.scenarios) owns the full schema and
// reports structural errors with line numbers; this check exists so that `sls package` and
// `sls deploy` fail fast when the stack and the experiments drift apart (a renamed queue,
// a removed trigger), before anything reaches AWS.

const QUEUE = 'AWS::SQS::Queue';
const FUNCTION = 'AWS::Lambda::Function';
const MAPPING = 'AWS::Lambda::EventSourceMapping';

// Argument name -> resource type it must name. `queues` is the list form of `queue`.
const REFERENCE_ARGS = { queue: QUEUE, source: QUEUE, function: FUNCTION };
const LIST_REFERENCE_ARGS = { queues: QUEUE };

const isMapping = (value) => value !== null && typeof value === 'object' && !Array.isArray(value);
// `${...}` is a scenario parameter, resolved by the engine at run time, not a resource name.
const isParameterRef = (value) => typeof value === 'string' && value.includes('${');

// The logical ID a CloudFormation value points at: { Ref: X } or { Fn::GetAtt: [X, attr] }.
function referencedLogicalId(value) {
  if (!isMapping(value)) return null;
  if (typeof value.Ref === 'string') return value.Ref;
  const getAtt = value['Fn::GetAtt'];
  if (Array.isArray(getAtt) && typeof getAtt[0] === 'string') return getAtt[0];
  if (typeof getAtt === 'string') return getAtt.split('.')[0];
  return null;
}

class Catalogue {
  constructor(template, aliases) {
    this.resources = (template && template.Resources) || {};
    this.aliases = aliases;
  }

  typeOf(logicalId) {
    const resource = this.resources[logicalId];
    return resource ? resource.Type : undefined;
  }

  // An alias or a logical ID -> logical ID, or null when it names nothing of that type.
  resolve(name, type) {
    const logicalId = Object.prototype.hasOwnProperty.call(this.aliases, name)
      ? this.aliases[name]
      : name;
    return this.typeOf(logicalId) === type ? logicalId : null;
  }

  // Everything a scenario may write for that type: aliases first, then logical IDs.
  choices(type) {
    const aliasNames = Object.keys(this.aliases).filter(
      (alias) => this.typeOf(this.aliases[alias]) === type
    );
    const logicalIds = Object.keys(this.resources).filter((id) => this.typeOf(id) === type);
    return [...aliasNames.sort(), ...logicalIds.sort()];
  }

  // Logical IDs of the mappings as "function <- queue" pairs.
  mappings() {
    return Object.entries(this.resources)
      .filter(([, resource]) => resource.Type === MAPPING)
      .map(([id, resource]) => {
        const props = resource.Properties || {};
        return {
          id,
          functionId: referencedLogicalId(props.FunctionName),
          queueId: referencedLogicalId(props.EventSourceArn),
        };
      });
  }
}

function describeStep(step) {
  if (!isMapping(step)) return '?';
  const keys = Object.keys(step);
  if (keys.length === 1) return keys[0];
  return typeof step.metric === 'string' ? `metric ${step.metric}` : '?';
}

// Walks a step's arguments, nested mappings and lists included (`wait: {until: {queue: dlq}}`,
// `expect: [{metric: ..., source: dlq}]`), and yields each mapping that names a resource with
// its references as [argName, name, type]. Per mapping, because a function and a source in
// the SAME mapping address one event source mapping, while in sibling conditions they do not.
function* referencingObjects(args) {
  if (Array.isArray(args)) {
    for (const item of args) yield* referencingObjects(item);
    return;
  }
  if (!isMapping(args)) return;
  const refs = [];
  for (const [key, value] of Object.entries(args)) {
    if (REFERENCE_ARGS[key] && typeof value === 'string') refs.push([key, value, REFERENCE_ARGS[key]]);
    else if (LIST_REFERENCE_ARGS[key] && Array.isArray(value)) {
      for (const item of value) {
        if (typeof item === 'string') refs.push([key, item, LIST_REFERENCE_ARGS[key]]);
      }
    } else yield* referencingObjects(value);
  }
  if (refs.length) yield refs;
}

function checkStep({ catalogue, where, step, errors }) {
  if (!isMapping(step)) return;
  for (const refs of referencingObjects(step)) {
    const resolved = {};
    for (const [argName, name, type] of refs) {
      if (isParameterRef(name)) continue;
      const logicalId = catalogue.resolve(name, type);
      if (logicalId) {
        resolved[argName] = logicalId;
        continue;
      }
      errors.push(
        `${where}: ${argName} "${name}" is not an alias or logical ID of an ${type} ` +
          `in the compiled template; valid: ${catalogue.choices(type).join(', ') || '(none)'}`
      );
    }
    if (resolved.function && resolved.source) checkMapping({ catalogue, where, resolved, errors });
  }
}

// A mapping naming both a function and a source queue addresses the event source mapping
// between them (connect / disconnect): it must exist, or the step would silently do nothing.
function checkMapping({ catalogue, where, resolved, errors }) {
  const mappings = catalogue.mappings();
  const found = mappings.some(
    (m) => m.functionId === resolved.function && m.queueId === resolved.source
  );
  if (found) return;
  const valid = mappings.map((m) => `${m.functionId} <- ${m.queueId} (${m.id})`);
  errors.push(
    `${where}: no event source mapping from ${resolved.source} to ${resolved.function} ` +
      `in the compiled template; valid: ${valid.join(', ') || '(none)'}`
  );
}

/**
 * Returns a list of error messages (empty when scenarios.yaml fits the template).
 * `doc` is the parsed YAML, `template` the compiled CloudFormation template, `file` the name
 * to print in messages.
 */
function validateScenarios(doc, template, file) {
  const errors = [];
  if (!isMapping(doc)) return [`${file}: expected a mapping at the top level`];

  const aliases = doc.aliases === undefined || doc.aliases === null ? {} : doc.aliases;
  if (!isMapping(aliases)) {
    errors.push(`${file}: aliases must be a mapping of short name -> template logical ID`);
  }
  const catalogue = new Catalogue(template, isMapping(aliases) ? aliases : {});
  if (isMapping(aliases)) {
    const validIds = Object.keys(catalogue.resources).sort();
    for (const [alias, target] of Object.entries(aliases)) {
      if (typeof target !== 'string' || !catalogue.typeOf(target)) {
        errors.push(
          `${file}: alias "${alias}" points at ${JSON.stringify(target)}, which is not a ` +
            `logical ID of the compiled template; valid: ${validIds.join(', ')}`
        );
      }
    }
  }

  const scenarios = doc.scenarios;
  if (scenarios === undefined || scenarios === null) return errors;
  if (!isMapping(scenarios)) {
    errors.push(`${file}: scenarios must be a mapping of name -> scenario`);
    return errors;
  }
  for (const [scenarioName, scenario] of Object.entries(scenarios)) {
    if (!isMapping(scenario)) continue; // the Python loader reports the shape
    // A scenario on another loop shape (`stack: sns`, issue 13) names that shape's stack,
    // not this one: looplab.scenarios checks it against its own.
    if (scenario.stack !== undefined && scenario.stack !== 'sqs') continue;
    // stop_when holds conditions that name queues and functions exactly as steps do.
    for (const section of ['steps', 'finally', 'stop_when']) {
      const steps = scenario[section];
      if (!Array.isArray(steps)) continue;
      steps.forEach((step, index) => {
        const where = `${file}: scenario "${scenarioName}", ${section}[${index}] (${describeStep(step)})`;
        checkStep({ catalogue, where, step, errors });
      });
    }
  }
  return errors;
}

module.exports = { validateScenarios, referencedLogicalId };

// `node lib/scenarios.js scenarios.yaml compiled-template.json`: the same check outside
// osls, for a template that is already compiled (no second `sls package`).
if (require.main === module) {
  const fs = require('fs');
  const path = require('path');
  const yaml = require('js-yaml');
  const [scenariosPath, templatePath] = process.argv.slice(2);
  if (!scenariosPath || !templatePath) {
    process.stderr.write('usage: node scenarios.js SCENARIOS_YAML TEMPLATE_JSON\n');
    process.exit(2);
  }
  const doc = yaml.load(fs.readFileSync(scenariosPath, 'utf8'), { filename: scenariosPath });
  const template = JSON.parse(fs.readFileSync(templatePath, 'utf8'));
  const errors = validateScenarios(doc, template, path.basename(scenariosPath));
  for (const error of errors) process.stderr.write(`${error}\n`);
  process.exit(errors.length ? 1 : 0);
}
