import { createTemplateDatabase } from './database.js';

/** Migrates the template database once per run; each test file then clones it (fast). */
export default async function setup() {
  await createTemplateDatabase();
}
