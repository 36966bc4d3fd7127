import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';
import { PRIVACY_DOC_PATH } from './render-doc.ts';
import { renderPrivacyDoc } from './render.ts';

test('docs/privacy.md is up to date with the inventory (regenerate with privacy/render-doc.ts)', () => {
  const onDisk = fs.existsSync(PRIVACY_DOC_PATH) ? fs.readFileSync(PRIVACY_DOC_PATH, 'utf8') : '';
  assert.ok(
    onDisk === renderPrivacyDoc(),
    'docs/privacy.md is stale: run `node --import tsx packages/server/src/privacy/render-doc.ts`',
  );
});

test('the document lists every table of the inventory', () => {
  const doc = renderPrivacyDoc();
  for (const table of ['apps', 'app_data_keys', 'quality_samples', 'backend_logs', 'privacy_jobs'])
    assert.ok(doc.includes(`### \`${table}\``));
});
