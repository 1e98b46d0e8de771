/**
 * Reading form bodies: `application/x-www-form-urlencoded` (Slack's slash commands, Twilio) and
 * `multipart/form-data` (Mailgun's inbound routes). Nothing here throws, whatever the bytes are.
 */

/** The body decoded as a form (`+` is a space, percent-escapes decoded). */
export function parseForm(rawBody: Buffer): URLSearchParams {
  return new URLSearchParams(rawBody.toString("utf8"));
}

/** The first value of a form field, or `undefined` when it is absent or empty. */
export function formField(form: URLSearchParams, name: string): string | undefined {
  const value = form.get(name);
  return value !== null && value.length > 0 ? value : undefined;
}

/**
 * Named text fields of a form, for schemes that put their signature inside the body (Mailgun): only
 * the requested names are kept, with every value of a repeated field so the caller can refuse
 * ambiguity. A body that cannot be read is `undefined`.
 */
export type FormFields = ReadonlyMap<string, readonly string[]>;

function collect(names: readonly string[]): Map<string, string[]> {
  return new Map(names.map((name) => [name, []]));
}

/** `application/x-www-form-urlencoded` fields. */
export function urlEncodedFields(body: Buffer, names: readonly string[]): FormFields {
  const params = parseForm(body);
  const fields = collect(names);
  for (const [name, values] of fields) {
    values.push(...params.getAll(name));
  }
  return fields;
}

/** RFC 2046 boundary: 1–70 characters, quoted or a token. */
const BOUNDARY_PARAMETER = /;\s*boundary=(?:"([^"\r\n]{1,70})"|([^\s;"]{1,70}))/i;
const DISPOSITION_NAME = /;\s*name\s*=\s*(?:"([^"\r\n]*)"|([^\s;"]+))/i;
const DISPOSITION_FILENAME = /;\s*filename\*?\s*=/i;
const CR = 0x0d;
const LF = 0x0a;
const DASH = 0x2d;
const CRLFCRLF = Buffer.from("\r\n\r\n", "latin1");

/** The form-data field name of a part, or `undefined` for files and parts without one. */
function fieldNameOf(partHeaders: string): string | undefined {
  for (const line of partHeaders.split("\r\n")) {
    const colon = line.indexOf(":");
    if (colon <= 0 || line.slice(0, colon).trim().toLowerCase() !== "content-disposition") {
      continue;
    }
    const value = line.slice(colon + 1);
    if (!/^\s*form-data\s*(?:;|$)/i.test(value) || DISPOSITION_FILENAME.test(value)) {
      return undefined;
    }
    const match = DISPOSITION_NAME.exec(value);
    return match === null ? undefined : (match[1] ?? match[2]);
  }
  return undefined;
}

/**
 * `multipart/form-data` text fields (parts without a filename), split on the boundary named in
 * `contentType`. Only what is needed to find named fields: no nested multiparts, no transfer encodings.
 */
export function multipartFields(
  body: Buffer,
  contentType: string,
  names: readonly string[],
): FormFields | undefined {
  const parameter = BOUNDARY_PARAMETER.exec(contentType);
  const boundary = parameter?.[1] ?? parameter?.[2];
  if (boundary === undefined) {
    return undefined;
  }
  const delimiter = Buffer.from(`--${boundary}`, "utf8");
  const nextDelimiter = Buffer.from(`\r\n--${boundary}`, "utf8");
  const fields = collect(names);

  // The first delimiter starts the body or a line (anything before it is preamble).
  let at = body.indexOf(delimiter);
  while (at > 0 && !(body[at - 2] === CR && body[at - 1] === LF)) {
    at = body.indexOf(delimiter, at + 1);
  }
  while (at >= 0) {
    let cursor = at + delimiter.length;
    if (body[cursor] === DASH && body[cursor + 1] === DASH) {
      return fields; // the close delimiter
    }
    while (body[cursor] === 0x20 || body[cursor] === 0x09) {
      cursor++; // transport padding
    }
    if (body[cursor] !== CR || body[cursor + 1] !== LF) {
      return undefined;
    }
    cursor += 2;
    let contentStart: number;
    let partHeaders: string;
    if (body[cursor] === CR && body[cursor + 1] === LF) {
      partHeaders = "";
      contentStart = cursor + 2;
    } else {
      const headersEnd = body.indexOf(CRLFCRLF, cursor);
      if (headersEnd < 0) {
        return undefined;
      }
      partHeaders = body.subarray(cursor, headersEnd).toString("utf8");
      contentStart = headersEnd + CRLFCRLF.length;
    }
    const end = body.indexOf(nextDelimiter, contentStart);
    if (end < 0) {
      return undefined;
    }
    const name = fieldNameOf(partHeaders);
    const values = name === undefined ? undefined : fields.get(name);
    values?.push(body.subarray(contentStart, end).toString("utf8"));
    at = end + 2;
  }
  return undefined;
}
