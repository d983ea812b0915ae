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

/** Check a value against a type; append an issue per problem to `issues`. */
export function check(type: TypeSchema, value: unknown, path: string, issues: ValidationIssue[]): void {
  if (value === null) {
    if (!type.nullable) issues.push({ path, message: 'must not be null' });
    return;
  }
  const fail = (message: string): void => {
    issues.push({ path, message: `${message}, got ${describe(value)}` });
  };
  switch (type.kind) {
    case 'string':
      if (typeof value !== 'string') return fail('must be a string');
      if (type.const !== undefined && value !== type.const) return fail(`must be ${JSON.stringify(type.const)}`);
      if (type.minLength !== undefined && value.length < type.minLength) {
        return fail(`must be at least ${type.minLength} characters`);
      }
      if (type.maxLength !== undefined && value.length > type.maxLength) {
        return fail(`must be at most ${type.maxLength} characters`);
      }
      if (type.format === 'uuid' && !UUID.test(value)) return fail('must be a UUID');
      if (type.format === 'date-time' && !isDateTime(value)) {
        return fail('must be an RFC 3339 date-time with a UTC offset');
      }
      return;
    case 'integer':
    case 'number':
      if (typeof value !== 'number' || !Number.isFinite(value)) return fail(`must be a finite ${type.kind}`);
      if (type.kind === 'integer' && !Number.isInteger(value)) return fail('must be an integer');
      if (type.minimum !== undefined && value < type.minimum) return fail(`must be >= ${type.minimum}`);
      if (type.maximum !== undefined && value > type.maximum) return fail(`must be <= ${type.maximum}`);
      return;
    case 'boolean':
      if (typeof value !== 'boolean') fail('must be a boolean');
      return;
    case 'enum':
      if (typeof value !== 'string' || !type.values.includes(value)) {
        fail(`must be a ${type.name} (${type.values.map((v) => `'${v}'`).join(', ')})`);
      }
      return;
    case 'model':
      checkModel(type.model(), value, path, issues);
      return;
    case 'array':
      if (!Array.isArray(value)) return fail('must be an array');
      if (type.minItems !== undefined && value.length < type.minItems) {
        return fail(`must have at least ${type.minItems} items`);
      }
      if (type.maxItems !== undefined && value.length > type.maxItems) {
        issues.push({ path, message: `must have at most ${type.maxItems} items, got ${value.length}` });
        return;
      }
      value.forEach((item, index) => check(type.items, item, `${path}[${index}]`, issues));
      return;
    case 'map':
      if (!isRecord(value)) return fail('must be an object');
      for (const [key, item] of Object.entries(value)) check(type.values, item, `${path}.${key}`, issues);
      return;
    case 'union': {
      const matches = type.variants.some((variant) => {
        const found: ValidationIssue[] = [];
        check(variant, value, path, found);
        return found.length === 0;
      });
      if (!matches) fail(`must be one of ${type.variants.map((v) => v.kind).join(' | ')}`);
      return;
    }
  }
}

/** Check an object against a model schema: required fields, field types, unknown fields. */
export function checkModel(model: ModelSchema, value: unknown, path: string, issues: ValidationIssue[]): void {
  if (!isRecord(value)) {
    issues.push({ path, message: `must be a ${model.name} object, got ${describe(value)}` });
    return;
  }
  for (const [name, field] of Object.entries(model.fields)) {
    const fieldPath = path ? `${path}.${name}` : name;
    const item = value[name];
    if (item === undefined) {
      if (field.required) issues.push({ path: fieldPath, message: 'is required' });
      continue;
    }
    check(field.type, item, fieldPath, issues);
  }
  if (model.closed) {
    for (const name of Object.keys(value)) {
      if (!(name in model.fields)) {
        issues.push({ path: path ? `${path}.${name}` : name, message: 'is not a known field' });
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
