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
  return isMapping(step) && Object.keys(step).length === 1 ? Object.keys(step)[0] : '?';
}

// Walks a step's arguments (nested mappings and lists too: `wait: {until: {queue: dlq}}`)
// and yields [argName, value] for every argument that names a resource.
function* referenceArgs(args) {
  if (Array.isArray(args)) {
    for (const item of args) yield* referenceArgs(item);
    return;
  }
  if (!isMapping(args)) return;
  for (const [key, value] of Object.entries(args)) {
    if (REFERENCE_ARGS[key] && typeof value === 'string') yield [key, value, REFERENCE_ARGS[key]];
    else if (LIST_REFERENCE_ARGS[key] && Array.isArray(value)) {
      for (const item of value) {
        if (typeof item === 'string') yield [key, item, LIST_REFERENCE_ARGS[key]];
      }
    } else yield* referenceArgs(value);
  }
}

function checkStep({ catalogue, where, step, errors }) {
  if (!isMapping(step)) return;
  const args = Object.values(step)[0];
  const resolved = {};
  for (const [argName, name, type] of referenceArgs(args)) {
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
  // A step naming both a function and a source queue addresses the mapping between them
  // (connect / disconnect): that mapping must exist, or the step would silently do nothing.
  if (resolved.function && resolved.source) {
    const mappings = catalogue.mappings();
    const found = mappings.some(
      (m) => m.functionId === resolved.function && m.queueId === resolved.source
    );
    if (!found) {
      const valid = mappings.map((m) => `${m.functionId} <- ${m.queueId} (${m.id})`);
      errors.push(
        `${where}: no event source mapping from ${resolved.source} to ${resolved.function} ` +
          `in the compiled template; valid: ${valid.join(', ') || '(none)'}`
      );
    }
  }
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
    for (const section of ['steps', 'finally']) {
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
