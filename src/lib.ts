/** The shared bundle: every action entry and the CLI import from here. */
export { runAction } from './action.js';
export { cliMain, cliProcess } from './cli.js';
