// The TypeScript package's shipped surface: its emitted declarations (ts/dist/*.d.ts, read with
// the TypeScript compiler API) and the built package at runtime (ts/dist/index.js), never the
// spec. Prints JSON in the vocabulary of parity/manifest_py.py; parity/compare.py maps names.
import { createRequire } from 'node:module';
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = process.env.PARITY_ROOT ?? path.resolve(here, '..', '..');
const pkgDir = path.join(root, 'ts');
const dist = path.join(pkgDir, 'dist');
const require = createRequire(path.join(pkgDir, 'package.json'));
const ts = require('typescript');
const pkg = await import(pathToFileURL(path.join(dist, 'index.js')).href);
const vectors = JSON.parse(readFileSync(path.join(root, 'parity', 'vectors', 'validation.json'), 'utf8'));

const INSTANCE_ID = 'a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d';
// The same statuses as parity/manifest_py.py probes.
const PROBED_STATUSES = [
  200, 201, 202, 203, 204, 205, 206, 207, 208, 226, 299, 300, 301, 302, 303, 304, 307, 308,
  400, 401, 403, 404, 408, 409, 413, 422, 429, 499, 500, 502, 503, 504, 599,
];

// -- declarations ------------------------------------------------------------------------------

const program = ts.createProgram([path.join(dist, 'index.d.ts')], {
  noEmit: true,
  strict: true,
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  types: [], // the surface needs no Node types; leaving them out halves the time
});
const checker = program.getTypeChecker();

function moduleExports(file) {
  const source = program.getSourceFile(path.join(dist, file));
  if (source === undefined) throw new Error(`ts/dist/${file} is missing: run the TypeScript build first`);
  return checker.getExportsOfModule(checker.getSymbolAtLocation(source));
}

const modelExports = moduleExports(path.join('generated', 'models.d.ts'));
const enumNames = new Set(
  modelExports
    .filter((s) => s.flags & ts.SymbolFlags.Value && s.flags & ts.SymbolFlags.TypeAlias)
    .map((s) => s.name),
);

// A field's own `| null` is its nullable flag; nested ones (a map's values) stay in the type.
function typeText(type, field = false) {
  if (type.aliasSymbol && enumNames.has(type.aliasSymbol.name)) return `enum ${type.aliasSymbol.name}`;
  if (type.isUnion()) {
    const skip = ts.TypeFlags.Undefined | (field ? ts.TypeFlags.Null : 0);
    const parts = type.types.filter((t) => !(t.flags & skip));
    const nulls = parts.filter((t) => t.flags & ts.TypeFlags.Null).map(() => 'null');
    const rest = parts.filter((t) => !(t.flags & ts.TypeFlags.Null));
    if (rest.length > 0 && rest.every((t) => t.flags & ts.TypeFlags.BooleanLiteral)) {
      return [...new Set(['boolean', ...nulls])].sort().join(' | '); // `true | false` is boolean
    }
    // `RepoSizeCategory | null` reaches us flattened into its literals: find the enum again.
    const literals = rest.every((t) => t.isStringLiteral()) ? rest.map((t) => t.value).sort().join('|') : null;
    const alias = [...enumNames].find((name) => enumValues(name) === literals);
    const texts = alias ? [`enum ${alias}`] : rest.map((t) => typeText(t));
    return [...new Set([...texts, ...nulls])].sort().join(' | ');
  }
  if (type.flags & ts.TypeFlags.Null) return 'null';
  if (type.flags & ts.TypeFlags.String) return 'string';
  if (type.flags & ts.TypeFlags.Number) return 'number';
  if (type.flags & (ts.TypeFlags.Boolean | ts.TypeFlags.BooleanLiteral)) return 'boolean';
  if (type.isStringLiteral()) return JSON.stringify(type.value);
  if (checker.isArrayType(type)) return `array<${typeText(checker.getTypeArguments(type)[0])}>`;
  const index = checker.getIndexInfosOfType(type).find((i) => i.keyType.flags & ts.TypeFlags.String);
  if (index !== undefined) return `record<string, ${typeText(index.type)}>`;
  if (type.symbol) return type.symbol.name;
  return checker.typeToString(type);
}

function enumValues(name) {
  const symbol = modelExports.find((s) => s.name === name);
  const type = checker.getTypeOfSymbol(symbol);
  return checker.getPropertiesOfType(type).map((p) => checker.getTypeOfSymbol(p).value).sort().join('|');
}

function isNullable(type) {
  return type.isUnion() && type.types.some((t) => t.flags & ts.TypeFlags.Null);
}

function declaredEnums() {
  const found = {};
  for (const symbol of modelExports) {
    if (!enumNames.has(symbol.name)) continue;
    const type = checker.getTypeOfSymbol(symbol);
    found[symbol.name] = Object.fromEntries(
      checker.getPropertiesOfType(type).map((p) => [p.name, checker.getTypeOfSymbol(p).value]),
    );
  }
  return found;
}

function declaredInterfaces() {
  const found = {};
  for (const symbol of modelExports) {
    if (!(symbol.flags & ts.SymbolFlags.Interface)) continue;
    const type = checker.getDeclaredTypeOfSymbol(symbol);
    found[symbol.name] = Object.fromEntries(
      checker.getPropertiesOfType(type).map((p) => {
        const propType = checker.getTypeOfSymbol(p);
        return [p.name, { optional: Boolean(p.flags & ts.SymbolFlags.Optional), type: propType }];
      }),
    );
  }
  return found;
}

// -- runtime ---------------------------------------------------------------------------------

function runtimeType(schema, field = false) {
  const text = runtimeKind(schema);
  return !field && schema.nullable ? [...new Set([text, 'null'])].sort().join(' | ') : text;
}

function runtimeKind(schema) {
  switch (schema.kind) {
    case 'string':
      return schema.const !== undefined ? JSON.stringify(schema.const) : 'string';
    case 'enum':
      return `enum ${schema.name}`;
    case 'model':
      return schema.model().name;
    case 'array':
      return `array<${runtimeType(schema.items)}>`;
    case 'map':
      return `record<string, ${runtimeType(schema.values)}>`;
    case 'union':
      return [...new Set(schema.variants.map(runtimeType))].sort().join(' | ');
    default:
      return schema.kind;
  }
}

const CONSTRAINTS = ['minimum', 'maximum', 'minLength', 'maxLength', 'minItems', 'maxItems', 'pattern'];

function constraintsOf(schema) {
  const found = Object.fromEntries(CONSTRAINTS.filter((c) => schema[c] !== undefined).map((c) => [c, schema[c]]));
  if (schema.kind === 'array') {
    const items = Object.fromEntries(
      CONSTRAINTS.filter((c) => schema.items[c] !== undefined).map((c) => [c, schema.items[c]]),
    );
    if (Object.keys(items).length > 0) found.items = items;
  }
  return found;
}

// `number` in a declaration is `integer` when the runtime schema says so; the two must agree.
function agree(declared, runtime) {
  return declared.replaceAll('number', 'integer') === runtime.replaceAll('number', 'integer');
}

function both(declared, runtime) {
  return declared === runtime ? declared : `${declared} (d.ts) / ${runtime} (runtime)`;
}

function models() {
  const found = {};
  for (const [name, props] of Object.entries(declaredInterfaces())) {
    const schema = pkg.generated[`${name}Schema`];
    const fields = {};
    for (const [field, declared] of Object.entries(props)) {
      const runtime = schema?.fields[field];
      const declaredType = typeText(declared.type, true);
      const declaredNullable = isNullable(declared.type);
      if (runtime === undefined) {
        fields[field] = { required: !declared.optional, nullable: declaredNullable, type: `${declaredType} (d.ts only)` };
        continue;
      }
      const runtimeText = runtimeType(runtime.type, true);
      fields[field] = {
        required: both(!declared.optional, runtime.required),
        nullable: both(declaredNullable, Boolean(runtime.type.nullable)),
        type: agree(declaredType, runtimeText) ? runtimeText : `${declaredType} (d.ts) / ${runtimeText} (runtime)`,
        format: runtime.type.format ?? null,
        constraints: constraintsOf(runtime.type),
      };
    }
    for (const field of Object.keys(schema?.fields ?? {})) {
      if (!(field in fields)) fields[field] = { type: 'runtime only (missing from d.ts)' };
    }
    found[name] = schema === undefined ? { fields } : { closed: schema.closed, fields };
  }
  return found;
}

function enums() {
  const found = {};
  for (const [name, members] of Object.entries(declaredEnums())) {
    const runtime = pkg[name] ?? {};
    found[name] = {};
    for (const member of new Set([...Object.keys(members), ...Object.keys(runtime)])) {
      found[name][member] = both(members[member] ?? '<absent>', runtime[member] ?? '<absent>');
    }
  }
  return found;
}

// The endpoint functions against a real local server: method, path, and the statuses they accept.
async function endpoints() {
  let status = 200;
  const requests = [];
  const server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      requests.push({ method: request.method, path: request.url, contentType: request.headers['content-type'] });
      const body = request.url.includes('predictions') ? { results: [] } : { accepted: 1, rejected: 0, results: [] };
      const empty = [204, 205, 304].includes(status);
      response.writeHead(status, empty ? {} : { 'Content-Type': 'application/json' });
      response.end(empty ? undefined : JSON.stringify(body));
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const options = { baseUrl: `http://127.0.0.1:${server.address().port}` };
  // The stubs send bodies as given, so a plain object will do (and needs no working builder).
  const event = { ...vectors.bases.event, schema_version: '1.0' };
  const calls = {
    submitEventsBatch: () => pkg.generated.submitEventsBatch(options, { events: [event] }),
    getPredictionsBatch: () => pkg.generated.getPredictionsBatch(options, { queries: [vectors.bases.prediction_query] }),
  };
  const found = {};
  try {
    for (const [name, call] of Object.entries(calls)) {
      requests.length = 0;
      const successes = [];
      for (status of PROBED_STATUSES) {
        try {
          await call();
          successes.push(status);
        } catch {
          // An ApiError, or (407) fetch's own network error: either way not a success.
        }
      }
      const first = requests[0];
      found[name] = {
        method: first.method,
        path: first.path,
        content_type: first.contentType,
        success_statuses: ranges(successes),
      };
    }
  } finally {
    server.close();
  }
  return found;
}

function ranges(statuses) {
  const found = [];
  for (const s of statuses) {
    const last = found.at(-1);
    if (last && last[1] === s - 1) last[1] = s;
    else found.push([s, s]);
  }
  return found.map(([low, high]) => (low === high ? `${low}` : `${low}-${high}`));
}

function shown(value) {
  if (value === undefined) return null;
  if (typeof value === 'function') return '<function>';
  if (typeof value === 'object' && value !== null) return '<object>';
  return value;
}

function config() {
  for (const name of Object.keys(process.env)) if (name.startsWith('MOSAIC_TELEMETRY_')) delete process.env[name];
  const options = moduleExports('config.d.ts').find((s) => s.name === 'TelemetryClientOptions');
  const resolved = pkg.resolveConfig({});
  const found = {};
  for (const prop of checker.getPropertiesOfType(checker.getDeclaredTypeOfSymbol(options))) {
    found[prop.name] = { default: shown(resolved[prop.name]), unit: prop.name.endsWith('Ms') ? 'ms' : null };
  }
  return found;
}

function builderDefaults() {
  const builder = new pkg.EventBuilder(INSTANCE_ID);
  let required = [];
  try {
    builder.build({});
  } catch (error) {
    if (!(error instanceof pkg.ValidationError)) throw error;
    required = error.issues.filter((i) => i.message === 'is required').map((i) => i.path);
  }
  const input = Object.fromEntries(required.map((field) => [field, vectors.bases.event[field]]));
  let event;
  try {
    event = builder.build(input);
  } catch (error) {
    return { '<build() failed>': String(error.message) };
  }
  return Object.fromEntries(
    Object.entries(event).filter(([k]) => !(k in input) && !['instance_id', 'event_id', 'timestamp'].includes(k)),
  );
}

const manifest = {
  version: pkg.VERSION,
  package_json_version: JSON.parse(readFileSync(path.join(pkgDir, 'package.json'), 'utf8')).version,
  exports: moduleExports('index.d.ts').map((s) => s.name).sort(),
  enums: enums(),
  models: models(),
  endpoints: await endpoints(),
  config: config(),
  builder_defaults: builderDefaults(),
};
process.stdout.write(`${JSON.stringify(manifest, null, 2)}\n`);
