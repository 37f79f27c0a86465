// The page's frame: waits for /ready, routes #/documents, #/documents/{id}, #/ask,
// #/collections and #/keys, and asks for an API key when the service answers 401.

import { forgetKey, hasKey, onKeyNeeded } from "./api.js";
import { askView } from "./ask.js";
import { collectionsView, keysView } from "./collections.js";
import { documentView, documentsView } from "./documents.js";
import { h, sleep } from "./dom.js";

const READY_POLL_MS = 2000;
let pendingKey = null;

function askForKey(reason) {
  // One dialog for every request that met the 401: they all wait on the same answer.
  if (pendingKey) return pendingKey;
  const dialog = document.getElementById("key-dialog");
  const error = document.getElementById("key-error");
  const input = document.getElementById("key-input");
  error.textContent = reason;
  error.hidden = !reason;
  input.value = "";
  dialog.returnValue = "";
  pendingKey = new Promise((resolve) => {
    dialog.addEventListener("close", () => {
      pendingKey = null;
      const key = input.value.trim();
      input.value = "";
      showKeyState(key !== "");
      resolve(key === "" ? null : key);
    }, { once: true });
  });
  dialog.showModal();
  return pendingKey;
}

function showKeyState(keyed = hasKey()) {
  document.getElementById("forget-key").hidden = !keyed;
}

function route() {
  const [path, query = ""] = window.location.hash.replace(/^#/, "").split("?");
  const params = new URLSearchParams(query);
  const main = document.getElementById("main");
  const section = ["ask", "collections", "keys"].find((name) => path.startsWith(`/${name}`))
    || "documents";
  for (const link of document.querySelectorAll("nav a")) {
    if (link.dataset.section === section) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  const match = path.match(/^\/documents\/(.+)$/);
  if (match) return documentView(main, decodeURIComponent(match[1]), params);
  if (section === "ask") return askView(main);
  if (section === "collections") return collectionsView(main);
  if (section === "keys") return keysView(main);
  return documentsView(main, params);
}

async function readiness() {
  try {
    const response = await fetch("/ready");
    return { ready: response.ok, body: await response.json() };
  } catch {
    return { ready: false, body: { reason: "the service cannot be reached" } };
  }
}

// Shows the service's state and resolves once /ready answers 200.
async function waitUntilReady() {
  const banner = document.getElementById("banner");
  const state = document.getElementById("service-state");
  for (;;) {
    const { ready, body } = await readiness();
    if (ready) {
      banner.hidden = true;
      state.textContent = `ready · answers: ${body.llm}`;
      return;
    }
    state.textContent = "not ready";
    banner.replaceChildren(h("strong", {}, "The service is not ready yet: "),
      body.reason || "starting", h("span", { class: "muted" }, " (this page carries on by itself)"));
    banner.hidden = false;
    await sleep(READY_POLL_MS);
  }
}

async function start() {
  onKeyNeeded(askForKey);
  showKeyState();
  document.getElementById("forget-key").addEventListener("click", () => {
    forgetKey();
    showKeyState();
    route();
  });
  await waitUntilReady();
  window.addEventListener("hashchange", route);
  document.body.dataset.ready = "true";
  await route();
}

start();
