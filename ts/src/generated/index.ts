// Generated from schema/telemetry-api-v1.yaml (sha256 cb319e8961148101e10cf3fa7a1afad2af1753d6bc756f0b0364d9c4379f2fce).
// Do not edit by hand: change the spec or codegen/, then run `make generate`
// (python -m codegen generate).
/** Code generated from the Telemetry API spec: types, validators and endpoint stubs. */

export * from './models.js';
export * from './schemas.js';
export * from './endpoints.js';
export type { ModelSchema, TypeSchema, ValidationIssue } from './validation.js';
export { check, checkModel, validateModel } from './validation.js';
