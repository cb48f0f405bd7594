#!/usr/bin/env node
// Runs the TypeScript CLI through tsx, so a plain `npm install` is all a user needs.
import { register } from 'tsx/esm/api';

register();
await import('./main.ts');
