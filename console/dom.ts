/**
 * A few lines instead of a framework: `h()` builds elements from tags, attributes and children. Text
 * always goes in as text nodes (never as HTML), so nothing an event carries can become markup.
 */

export type Child = Node | string | number | false | null | undefined | readonly Child[];
type AttrValue = string | number | boolean | null | undefined | ((event: Event) => void);
export type Attrs = Readonly<Record<string, AttrValue>>;

function append(parent: Node, child: Child): void {
  if (child === false || child === null || child === undefined) return;
  if (Array.isArray(child)) {
    for (const c of child) append(parent, c);
    return;
  }
  parent.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
}

/** `h("button", { type: "button", onclick: … }, "Resend")`; `on…` attributes become listeners. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs | null = null,
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (typeof value === "function") element.addEventListener(name.slice(2), value);
    else if (value === true) element.setAttribute(name, "");
    else if (value !== false && value !== null && value !== undefined)
      element.setAttribute(name, String(value));
  }
  for (const child of children) append(element, child);
  return element;
}

/** A `<label>` and its control, tied by id. */
export function field(
  label: string,
  control: HTMLInputElement | HTMLSelectElement,
  hint?: string,
): HTMLElement {
  const id = control.id || `f-${label.toLowerCase().replace(/[^a-z0-9]+/g, "-")}-${nextId++}`;
  control.id = id;
  const hintId = hint ? `${id}-hint` : undefined;
  if (hintId) control.setAttribute("aria-describedby", hintId);
  return h(
    "div",
    { class: "field" },
    h("label", { for: id }, label),
    control,
    hint && h("small", { id: hintId }, hint),
  );
}
let nextId = 1;

/** A `<select>` with an "any" first option (value ""). */
export function select(
  name: string,
  options: readonly (string | readonly [value: string, label: string])[],
  selected: string | undefined,
  anyLabel = "any",
): HTMLSelectElement {
  return h(
    "select",
    { name },
    h("option", { value: "" }, anyLabel),
    options.map((o) => {
      const [value, label] = typeof o === "string" ? [o, o] : o;
      return h("option", { value, selected: value === selected }, label);
    }),
  );
}

/** A semantic table: caption, header cells with `scope="col"`, one body row per item. */
export function table(caption: string, headers: readonly string[], rows: readonly Node[]): HTMLTableElement {
  return h(
    "table",
    null,
    h("caption", null, caption),
    h(
      "thead",
      null,
      h(
        "tr",
        null,
        headers.map((text) => h("th", { scope: "col" }, text)),
      ),
    ),
    h("tbody", null, rows),
  );
}

/** "Loading …" with the region marked busy. */
export function loading(text: string): HTMLElement {
  return h("p", { class: "loading", role: "status" }, text);
}
