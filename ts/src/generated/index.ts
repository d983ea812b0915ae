// Generated from schema/telemetry-api-v1.yaml (sha256 76fd0d849c9ce77a410445b280c95d1fcaaf10260a5d0d045022e3d87b5943ba).
// Do not edit by hand: change the spec or codegen/, then run `make generate`
// (python -m codegen generate).
/** Code generated from the Telemetry API spec: types, validators and endpoint stubs. */

export * from './models.js';
export * from './schemas.js';
export * from './endpoints.js';
export type { ModelSchema, TypeSchema, ValidationIssue } from './validation.js';
export { check, checkModel, validateModel } from './validation.js';
