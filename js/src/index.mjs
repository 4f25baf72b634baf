export { BrolostackWSClientside, BrolostackError } from './client.mjs';
export { loadCore } from './core.mjs';
export { PROFILES } from './profiles.mjs';
