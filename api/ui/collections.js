// Collections (knowledge bases): the picker that scopes browsing, uploading and asking, and
// the admin pages that make and delete collections and keys. The picked collection lives in
// sessionStorage like the key: this tab only.

import { call, getJSON, postJSON } from "./api.js";
import { counted, date, errorBox, h, number } from "./dom.js";

const PICKED = "rag-api-collection";

// The picked collection's name, or "" for every collection the key may read.
export function picked() {
  return sessionStorage.getItem(PICKED) || "";
}

// What a search sends: the picked collection only, or nothing (every one it may read).
export function searched() {
  return picked() ? { collections: [picked()] } : {};
}

// Where an upload goes: the picked collection, else `default`.
export function uploadTarget() {
  return picked() || "default";
}

// A <select> of the collections this key may read; onChange runs after a new pick.
export async function collectionPicker(onChange) {
  const select = h("select", { id: "collection-picker", name: "collection" },
    h("option", { value: "" }, "All collections"));
  const label = h("label", { class: "picker", for: "collection-picker" }, "Collection ", select);
  try {
    const { items } = await getJSON("/v1/collections");
    for (const collection of items) {
      select.append(h("option", { value: collection.name },
        `${collection.name} (${counted(collection.documents, "document")})`));
    }
  } catch (error) {
    return h("div", {}, label, errorBox(error));
  }
  if (![...select.options].some((option) => option.value === picked())) {
    sessionStorage.removeItem(PICKED);
  }
  select.value = picked();
  select.addEventListener("change", () => {
    sessionStorage.setItem(PICKED, select.value);
    onChange();
  });
  return label;
}

// -- what both admin pages do --------------------------------------------------------------

// A table of what `path` lists (GET), one row per item, in `list`; or the error.
async function fillTable(list, path, id, header, rowOf) {
  try {
    const { items } = await getJSON(path);
    list.replaceChildren(h("div", { class: "scroll" }, h("table", { id },
      h("thead", {}, h("tr", {}, header.map((name) => h("th", { scope: "col" }, name)))),
      h("tbody", {}, items.map(rowOf)))));
  } catch (error) {
    list.replaceChildren(errorBox(error));
  }
}

// A button's action: once the question is confirmed, DELETE `path`, say `done` in `status`
// and refresh; or show the error there.
function deleting(question, path, done, status, refresh) {
  return async () => {
    if (!window.confirm(question)) return;
    try {
      await call(path, { method: "DELETE" });
      status.replaceChildren(h("p", { class: "notice" }, done));
      refresh();
    } catch (error) {
      status.replaceChildren(errorBox(error));
    }
  };
}

// -- #/collections --------------------------------------------------------------------------

function collectionRow(collection, status, refresh) {
  const documents = collection.documents;
  const warning = documents > 0 ? ` and its ${counted(documents, "document")}` : "";
  const query = documents > 0 ? "?force=true" : "";
  const remove = deleting(`Delete the collection "${collection.name}"${warning}?`,
    `/v1/collections/${encodeURIComponent(collection.name)}${query}`,
    `Deleted "${collection.name}".`, status, refresh);
  return h("tr", { "data-name": collection.name },
    h("td", {}, collection.name),
    h("td", {}, collection.description),
    h("td", { class: "num" }, number(collection.documents)),
    h("td", { class: "num" }, number(collection.chunks)),
    h("td", {}, date(collection.created_at)),
    h("td", {}, collection.name === "default" ? "" : h("button", {
      type: "button", class: "danger quiet", onclick: remove,
      "aria-label": `Delete ${collection.name}`,
    }, "Delete")));
}

function createCollectionForm(status, refresh) {
  const form = h("form", { class: "inline-form", id: "new-collection" },
    h("label", {}, "Name ", h("input", {
      name: "name", required: true, pattern: "[a-z0-9][a-z0-9_\\-]{0,62}", maxlength: 63,
      placeholder: "hr",
    })),
    h("label", {}, "Description ", h("input", { name: "description", maxlength: 2000 })),
    h("button", { type: "submit", class: "primary" }, "Create"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const fields = new FormData(form);
    try {
      await postJSON("/v1/collections",
        { name: fields.get("name"), description: fields.get("description") });
      status.replaceChildren(h("p", { class: "notice" }, `Created "${fields.get("name")}".`));
      form.reset();
      refresh();
    } catch (error) {
      status.replaceChildren(errorBox(error));
    }
  });
  return form;
}

export async function collectionsView(main) {
  const status = h("div", { "aria-live": "polite" });
  const list = h("div", {}, h("p", { class: "muted" }, "Loading…"));
  const refresh = () => fillTable(list, "/v1/collections", "collections",
    ["Name", "Description", "Documents", "Chunks", "Created", ""],
    (c) => collectionRow(c, status, refresh));
  document.title = "Collections · rag-api";
  main.replaceChildren(h("h1", {}, "Collections"),
    h("section", { class: "panel" }, h("h2", {}, "New collection"),
      createCollectionForm(status, refresh)),
    h("section", { class: "panel" }, h("h2", {}, "Collections"), status, list));
  return refresh();
}

// -- #/keys ---------------------------------------------------------------------------------

function shownOnce(created) {
  const value = h("input", { id: "new-key", readonly: true, value: created.key, size: 48 });
  const copied = h("span", { class: "muted", "aria-live": "polite" });
  const copy = async () => {
    value.select();
    try {
      await navigator.clipboard.writeText(created.key);
      copied.textContent = " copied";
    } catch {
      copied.textContent = " select it and copy (the clipboard is not available here)";
    }
  };
  return h("div", { class: "notice", id: "key-shown" },
    h("p", {}, h("strong", {}, `Key "${created.name}" (${created.role}): `),
      "copy it now, it is never shown again."),
    h("p", {}, value, " ", h("button", { type: "button", onclick: copy }, "Copy"), copied));
}

function keyRow(key, status, refresh) {
  const revoke = deleting(`Revoke the key "${key.name}"? Its clients are refused at once.`,
    `/v1/keys/${encodeURIComponent(key.id)}`, `Revoked "${key.name}".`, status, refresh);
  return h("tr", { "data-id": key.id },
    h("td", {}, key.name), h("td", {}, key.role),
    h("td", {}, key.role === "admin" ? "every collection" : key.collections.join(", ")),
    h("td", {}, date(key.created_at)),
    h("td", {}, key.last_used_at ? date(key.last_used_at) : "never"),
    h("td", {}, h("button", {
      type: "button", class: "danger quiet", onclick: revoke, "aria-label": `Revoke ${key.name}`,
    }, "Revoke")));
}

function createKeyForm(collections, status, refresh) {
  const boxes = collections.map((c) => h("label", { class: "check" },
    h("input", { type: "checkbox", name: "collections", value: c.name }), ` ${c.name}`));
  const form = h("form", { class: "inline-form", id: "new-key-form" },
    h("label", {}, "Name ", h("input", { name: "name", required: true, maxlength: 100 })),
    h("label", {}, "Role ", h("select", { name: "role" },
      ["reader", "writer", "admin"].map((role) => h("option", { value: role }, role)))),
    h("fieldset", {}, h("legend", {}, "Collections (reader and writer keys)"), ...boxes),
    h("button", { type: "submit", class: "primary" }, "Create key"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const fields = new FormData(form);
    const role = fields.get("role");
    const body = {
      name: fields.get("name"), role,
      collections: role === "admin" ? [] : fields.getAll("collections"),
    };
    try {
      const created = await (await postJSON("/v1/keys", body)).json();
      status.replaceChildren(shownOnce(created));
      form.reset();
      refresh();
    } catch (error) {
      status.replaceChildren(errorBox(error));
    }
  });
  return form;
}

export async function keysView(main) {
  const status = h("div", { "aria-live": "polite" });
  const list = h("div", {}, h("p", { class: "muted" }, "Loading…"));
  const refresh = () => fillTable(list, "/v1/keys", "keys",
    ["Name", "Role", "Collections", "Created", "Last used", ""],
    (k) => keyRow(k, status, refresh));
  document.title = "Keys · rag-api";
  main.replaceChildren(h("h1", {}, "API keys"), h("p", { class: "muted" }, "Loading…"));
  let collections = [];
  try {
    collections = (await getJSON("/v1/collections")).items;
  } catch (error) {
    main.replaceChildren(h("h1", {}, "API keys"), errorBox(error));
    return;
  }
  main.replaceChildren(h("h1", {}, "API keys"),
    h("section", { class: "panel" }, h("h2", {}, "New key"),
      createKeyForm(collections, status, refresh), status),
    h("section", { class: "panel" }, h("h2", {}, "Keys"), list));
  await refresh();
}
