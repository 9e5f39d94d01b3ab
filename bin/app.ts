#!/usr/bin/env node
// Entry of the CDK CLI (cdk.json): `npm run synth`, `npm run deploy -- --context stage=dev`.
import { createGovernanceApp } from '../lib/app.js';

createGovernanceApp({}, process.env);
