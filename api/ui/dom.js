// Building the page. Text from the service (titles, passages, answers, errors) only ever
// becomes text nodes: nothing here parses HTML, so a document cannot inject markup.

export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else if (name === "class") element.className = value;
    else element.setAttribute(name, value === true ? "" : String(value));
  }
  element.append(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
  return element;
}

// An error as the service described it: its message, its hint, and the status it came with.
export function errorBox(error) {
  const code = error.status ? `${error.status} ${error.type}` : error.type;
  return h("div", { class: "error", role: "alert" },
    h("p", {}, h("strong", {}, error.message || String(error))),
    error.hint ? h("p", { class: "hint" }, error.hint) : null,
    code ? h("p", { class: "code" }, code) : null);
}

export function number(n) {
  return Number(n).toLocaleString("en");
}

// "1 chunk", "12 chunks".
export function counted(n, noun) {
  return `${number(n)} ${noun}${n === 1 ? "" : "s"}`;
}

export function date(iso) {
  const moment = new Date(iso);
  return Number.isNaN(moment.getTime()) ? iso : moment.toLocaleString("en", {
    year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit",
  });
}

export function documentHref(id, query = "") {
  return `#/documents/${encodeURIComponent(id)}${query ? `?${query}` : ""}`;
}

export function documentLink(document) {
  const name = document.title || document.source_name || document.id;
  return h("a", { href: documentHref(document.id) }, name);
}

export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// Pages of a list: "Previous · 21–40 of 95 · Next", as links so the back button works.
export function pager(total, offset, count, hrefOf, page) {
  if (total === 0) return null;
  const label = `${number(offset + 1)}–${number(offset + count)} of ${number(total)}`;
  const last = offset + count >= total;
  return h("nav", { class: "pager", "aria-label": "Pages" },
    page > 1 ? h("a", { href: hrefOf(page - 1), rel: "prev" }, "← Previous") : null,
    h("span", {}, label),
    last ? null : h("a", { href: hrefOf(page + 1), rel: "next" }, "Next →"));
}
