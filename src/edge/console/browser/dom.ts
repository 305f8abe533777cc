// DOM helpers of the console: typed element lookups, element and SVG builders (text only, never
// innerHTML), status pills and the message line.

/** The page's element `id`, which must be a `kind`: the page and this script change together. */
export function byId<T extends Element>(id: string, kind: abstract new () => T): T {
  const node = document.getElementById(id);
  if (!(node instanceof kind)) throw new Error(`#${id} is missing or not a ${kind.name}`);
  return node;
}
export const $ = (id: string) => byId(id, HTMLElement);

export interface Attrs {
  /** The element's text. */
  text?: string;
  onclick?: () => void;
  [attribute: string]: string | (() => void) | undefined;
}

export function el(tag: string, attrs: Attrs = {}, children: (Node | string)[] = []): HTMLElement {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "text" && typeof v === "string") node.textContent = v;
    else if (typeof v === "function") node.addEventListener("click", v);
    else if (v !== undefined) node.setAttribute(k, v);
  }
  for (const c of children) node.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
  return node;
}

export function svg(tag: string, attrs: Record<string, string | number>): SVGElement {
  const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  return node;
}

export function pill(text: string, kind?: string, testid?: string): HTMLElement {
  const attrs: Attrs = { class: "pill" + (kind ? " " + kind : ""), text };
  if (testid) attrs["data-testid"] = testid;
  return el("span", attrs);
}

export function say(text: string, isError = false): void {
  const box = $("message");
  box.textContent = text;
  box.className = "message" + (isError ? " error" : "");
  box.hidden = !text;
}
