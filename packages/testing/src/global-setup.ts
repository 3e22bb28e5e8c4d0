import { randomBytes } from 'node:crypto';
import type { TestProject } from 'vitest/node';
import { createTemplateDatabase, dropDatabase } from './database.js';

/**
 * Migrates a template database once per run; each test file then clones it (fast). The name is
 * unique to this run so that two runs on one machine never drop each other's template.
 */
export default async function setup(project: TestProject) {
  const template = `plyr_test_template_${randomBytes(4).toString('hex')}`;
  await createTemplateDatabase(template);
  project.provide('plyrTemplateDatabase', template);
  return () => dropDatabase(template);
}
