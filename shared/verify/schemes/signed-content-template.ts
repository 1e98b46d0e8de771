import { createKeyCache } from "./secrets.js";

/**
 * The `signedContent` template of the generic HMAC scheme, parsed once: literal text and the
 * placeholders `{body}`, `{timestamp}`, `{id}`, `{method}`, `{url}`. Any other `{…}` is literal text.
 */

export type Placeholder = "body" | "timestamp" | "id" | "method" | "url";
export type TemplatePart = { readonly literal: string } | { readonly placeholder: Placeholder };

export interface SignedContentTemplate {
  readonly parts: readonly TemplatePart[];
  readonly uses: ReadonlySet<Placeholder>;
}

const PLACEHOLDER = /\{(body|timestamp|id|method|url)\}/g;

function parse(template: string): SignedContentTemplate {
  const parts: TemplatePart[] = [];
  const uses = new Set<Placeholder>();
  let last = 0;
  for (const match of template.matchAll(PLACEHOLDER)) {
    const placeholder = match[1] as Placeholder;
    if (match.index > last) {
      parts.push({ literal: template.slice(last, match.index) });
    }
    parts.push({ placeholder });
    uses.add(placeholder);
    last = match.index + match[0].length;
  }
  if (last < template.length) {
    parts.push({ literal: template.slice(last) });
  }
  return { parts, uses };
}

/** `parse`, memoised per template string (one per configured source). */
export const parseSignedContent: (template: string) => SignedContentTemplate = createKeyCache(parse);
