export { type Fault, type LoggedCommand, type Standin, startStandin } from './server';
export { spawnStandin } from './spawn';
