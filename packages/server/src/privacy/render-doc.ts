// Writes docs/privacy.md from the inventory: node --import tsx packages/server/src/privacy/render-doc.ts
import fs from 'node:fs';
import path from 'node:path';
import { renderPrivacyDoc } from './render.ts';

/** Path of the generated document. */
export const PRIVACY_DOC_PATH = path.resolve(import.meta.dirname, '../../../../docs/privacy.md');

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === path.resolve(import.meta.filename)) {
  fs.mkdirSync(path.dirname(PRIVACY_DOC_PATH), { recursive: true });
  fs.writeFileSync(PRIVACY_DOC_PATH, renderPrivacyDoc());
  console.log(`wrote ${path.relative(process.cwd(), PRIVACY_DOC_PATH)}`);
}
