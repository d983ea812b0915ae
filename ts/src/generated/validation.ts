// Generated from schema/telemetry-api-v1.yaml (sha256 76fd0d849c9ce77a410445b280c95d1fcaaf10260a5d0d045022e3d87b5943ba).
// Do not edit by hand: change the spec or codegen/, then run `make generate`
// (python -m codegen generate).
/**
 * The runtime checks behind the generated validators: each schema in schemas.ts is data
 * (types and the spec's constraints), and `check` walks a value against it, collecting one issue
 * per problem with the path of the offending field.
 */

/** One problem found in a value: where (a dotted path) and what. */
export interface ValidationIssue {
  path: string;
  message: string;
}

/** The type of a value and the spec's constraints on it. */
export type TypeSchema =
  | { kind: 'string'; nullable?: boolean; format?: 'uuid' | 'date-time'; const?: string; minLength?: number; maxLength?: number }
  | { kind: 'integer' | 'number'; nullable?: boolean; minimum?: number; maximum?: number }
  | { kind: 'boolean'; nullable?: boolean }
  | { kind: 'enum'; nullable?: boolean; name: string; values: readonly string[] }
  | { kind: 'model'; nullable?: boolean; model: () => ModelSchema }
  | { kind: 'array'; nullable?: boolean; items: TypeSchema; minItems?: number; maxItems?: number }
  | { kind: 'map'; nullable?: boolean; values: TypeSchema }
  | { kind: 'union'; nullable?: boolean; variants: readonly TypeSchema[] };

/** A named object schema; a closed one (a request body) rejects unknown fields. */
export interface ModelSchema {
  name: string;
  closed: boolean;
  fields: Readonly<Record<string, { type: TypeSchema; required: boolean }>>;
}

const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
// RFC 3339 date-time with a mandatory offset (Z or +hh:mm), as the server requires.
const DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-](\d{2}):(\d{2}))$/;

function isDateTime(value: string): boolean {
  const m = DATE_TIME.exec(value);
  if (m === null) return false;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [
    number, number, number, number, number, number,
  ];
  const offsetHours = m[9] === undefined ? 0 : Number(m[9]);
  const offsetMinutes = m[10] === undefined ? 0 : Number(m[10]);
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return (
    month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth && hour <= 23 && minute <= 59 &&
    second <= 60 && offsetHours <= 23 && offsetMinutes <= 59
  );
}

// JSON Schema counts a string's length in code points (as Python's len() does); `.length`
// counts UTF-16 units, so one emoji would count twice.
function codePoints(value: string): number {
  let count = 0;
  for (const _ of value) count += 1;
  return count;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value);
  if (typeof value === 'object') return 'an object';
  return String(value);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function fail(issues: ValidationIssue[], path: string, message: string, value: unknown): void {
  issues.push({ path, message: `${message}, got ${describe(value)}` });
}

/** Check a value against a type; append an issue per problem to `issues`. */
export function check(type: TypeSchema, value: unknown, path: string, issues: ValidationIssue[]): void {
  if (value === null) {
    if (!type.nullable) issues.push({ path, message: 'must not be null' });
    return;
  }
  switch (type.kind) {
    case 'string':
      if (typeof value !== 'string') return fail(issues, path, 'must be a string', value);
      if (type.const !== undefined && value !== type.const) {
        return fail(issues, path, `must be ${JSON.stringify(type.const)}`, value);
      }
      if (type.minLength !== undefined && codePoints(value) < type.minLength) {
        return fail(issues, path, `must be at least ${type.minLength} characters`, value);
      }
      if (type.maxLength !== undefined && codePoints(value) > type.maxLength) {
        return fail(issues, path, `must be at most ${type.maxLength} characters`, value);
      }
      if (type.format === 'uuid' && !UUID.test(value)) return fail(issues, path, 'must be a UUID', value);
      if (type.format === 'date-time' && !isDateTime(value)) {
        return fail(issues, path, 'must be an RFC 3339 date-time with a UTC offset', value);
      }
      return;
    case 'integer':
    case 'number':
      if (typeof value !== 'number' || !Number.isFinite(value)) {
        return fail(issues, path, `must be a finite ${type.kind}`, value);
      }
      if (type.kind === 'integer' && !Number.isInteger(value)) return fail(issues, path, 'must be an integer', value);
      if (type.minimum !== undefined && value < type.minimum) return fail(issues, path, `must be >= ${type.minimum}`, value);
      if (type.maximum !== undefined && value > type.maximum) return fail(issues, path, `must be <= ${type.maximum}`, value);
      return;
    case 'boolean':
      if (typeof value !== 'boolean') fail(issues, path, 'must be a boolean', value);
      return;
    case 'enum':
      if (typeof value !== 'string' || !type.values.includes(value)) {
        fail(issues, path, `must be a ${type.name} (${type.values.map((v) => `'${v}'`).join(', ')})`, value);
      }
      return;
    case 'model':
      checkModel(type.model(), value, path, issues);
      return;
    case 'array':
      if (!Array.isArray(value)) return fail(issues, path, 'must be an array', value);
      if (type.minItems !== undefined && value.length < type.minItems) {
        return fail(issues, path, `must have at least ${type.minItems} items`, value);
      }
      if (type.maxItems !== undefined && value.length > type.maxItems) {
        issues.push({ path, message: `must have at most ${type.maxItems} items, got ${value.length}` });
        return;
      }
      for (let index = 0; index < value.length; index += 1) {
        check(type.items, value[index], `${path}[${index}]`, issues);
      }
      return;
    case 'map':
      if (!isRecord(value)) return fail(issues, path, 'must be an object', value);
      for (const key of Object.keys(value)) check(type.values, value[key], `${path}.${key}`, issues);
      return;
    case 'union': {
      const matches = type.variants.some((variant) => {
        const found: ValidationIssue[] = [];
        check(variant, value, path, found);
        return found.length === 0;
      });
      if (!matches) fail(issues, path, `must be one of ${type.variants.map((v) => v.kind).join(' | ')}`, value);
      return;
    }
  }
}

// Each model's fields as a list, made once: validation runs per event and per response.
const FIELD_LISTS = new WeakMap<ModelSchema, [string, { type: TypeSchema; required: boolean }][]>();

function fieldList(model: ModelSchema): [string, { type: TypeSchema; required: boolean }][] {
  let list = FIELD_LISTS.get(model);
  if (list === undefined) {
    list = Object.entries(model.fields);
    FIELD_LISTS.set(model, list);
  }
  return list;
}

/** Check an object against a model schema: required fields, field types, unknown fields. */
export function checkModel(model: ModelSchema, value: unknown, path: string, issues: ValidationIssue[]): void {
  if (!isRecord(value)) {
    issues.push({ path, message: `must be a ${model.name} object, got ${describe(value)}` });
    return;
  }
  const prefix = path ? `${path}.` : '';
  for (const [name, field] of fieldList(model)) {
    const item = value[name];
    if (item === undefined) {
      if (field.required) issues.push({ path: prefix + name, message: 'is required' });
      continue;
    }
    check(field.type, item, prefix + name, issues);
  }
  if (model.closed) {
    for (const name of Object.keys(value)) {
      if (!Object.prototype.hasOwnProperty.call(model.fields, name)) {
        issues.push({ path: prefix + name, message: 'is not a known field' });
      }
    }
  }
}

/** Validate a value against a model: the list of issues, empty when valid. */
export function validateModel(model: ModelSchema, value: unknown): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  checkModel(model, value, '', issues);
  return issues;
}
