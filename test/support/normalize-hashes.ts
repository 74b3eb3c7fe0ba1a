/**
 * Hash-derived strings of a synthesized template, replaced by their order of first appearance: asset
 * hashes (SHA-256, 64 hex digits: S3 keys, `aws:asset:*` metadata) and the MD5-derived suffixes CDK adds
 * to names that depend on content (32 hex digits: a Lambda version's or a REST deployment's logical id).
 * Two templates that differ only in these hashes normalize to equal values, while a template that uses one
 * asset where the other uses two still differs.
 */
const HASH = /[0-9a-f]{64}(?![0-9a-f])|[0-9a-f]{32}(?![0-9a-f])/g;

export function normalizeHashes(template: unknown): unknown {
  const seen = new Map<string, string>();
  const text = JSON.stringify(template, Object.keys(flattenKeys(template)).sort());
  const normalized = text.replace(HASH, (hash) => {
    let name = seen.get(hash);
    if (name === undefined) {
      name = `<hash ${seen.size + 1}>`;
      seen.set(hash, name);
    }
    return name;
  });
  return JSON.parse(normalized) as unknown;
}

/** Every key at any depth, so JSON.stringify writes objects with sorted keys (a stable order). */
function flattenKeys(value: unknown, into: Record<string, true> = {}): Record<string, true> {
  if (Array.isArray(value)) for (const item of value) flattenKeys(item, into);
  else if (value && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      into[key] = true;
      flattenKeys(item, into);
    }
  }
  return into;
}
