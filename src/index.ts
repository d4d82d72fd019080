export { GroveError, type GroveErrorCode, type GroveErrorOptions, isGroveError } from "./errors.js";
