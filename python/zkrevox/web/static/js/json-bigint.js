// The ezkl engine's utils.js re-exports serialize/deserialize built on the npm package json-bigint
// (CommonJS, not loadable as an ES module without a bundler). The pages never call them; this stand-in
// satisfies the import with the standard JSON functions (no big-integer support).
export const parse = JSON.parse;
export const stringify = JSON.stringify;
export default { parse, stringify };
