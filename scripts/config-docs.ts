/**
 * `npm run docs:config`: writes the JSON Schema of cdk.json and the field tables of docs/configuration.md
 * from the stage configuration schema (scripts/config-reference.ts renders them).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { CONFIG_DOCS_PATH, JSON_SCHEMA_PATH, renderJsonSchema, updateConfigDocs } from './config-reference';

async function main(): Promise<void> {
  const root = resolve(__dirname, '..');
  writeFileSync(resolve(root, JSON_SCHEMA_PATH), await renderJsonSchema());
  const docs = resolve(root, CONFIG_DOCS_PATH);
  writeFileSync(docs, updateConfigDocs(readFileSync(docs, 'utf8')));
  console.log(`wrote ${JSON_SCHEMA_PATH} and the tables of ${CONFIG_DOCS_PATH}`);
}

void main();
