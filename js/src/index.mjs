export { BrolostackWSClientside, BrolostackError } from './client.mjs';
export { ARGSProtocolHandler, ARGS_TYPES } from './args.mjs';
export { loadCore } from './core.mjs';
export { PROFILES } from './profiles.mjs';
